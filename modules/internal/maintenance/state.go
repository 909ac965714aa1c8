// Package maintenance holds the Caddy-free logic of frontdoor's maintenance
// mode: the switch state of a named maintenance and its schedule window, the
// registry that keeps every switch in a shared key-value storage, signed
// bypass cookies, content negotiation and the maintenance page.
//
// Functions that depend on the time take it as an argument.
package maintenance

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"time"
)

// MaxMessageLength is the longest message a switch may carry, in bytes.
const MaxMessageLength = 2048

// State is the switch of one named maintenance. Zero times mean "not set".
type State struct {
	// Enabled turns maintenance on, within From and Until when they are set.
	Enabled bool
	// From is when a scheduled maintenance begins.
	From time.Time
	// Until is when the maintenance ends by itself.
	Until time.Time
	// Message is shown to blocked visitors; empty means the configured one.
	Message string
	// Updated is when the switch was last written.
	Updated time.Time
}

// Active reports whether maintenance is on at now.
func (s *State) Active(now time.Time) bool {
	if s == nil || !s.Enabled {
		return false
	}
	if !s.From.IsZero() && now.Before(s.From) {
		return false
	}
	if !s.Until.IsZero() && !now.Before(s.Until) {
		return false
	}
	return true
}

// RetryAfter is the value of the Retry-After header at now, in whole seconds
// (at least 1): the time left until Until when it is set, else def.
func (s *State) RetryAfter(now time.Time, def time.Duration) int64 {
	d := def
	if s != nil && !s.Until.IsZero() {
		d = s.Until.Sub(now)
	}
	secs := int64((d + time.Second - 1) / time.Second)
	if secs < 1 {
		secs = 1
	}
	return secs
}

// Document is the JSON form of a switch in the admin API and in storage.
type Document struct {
	Name    string     `json:"name"`
	Enabled bool       `json:"enabled"`
	From    *time.Time `json:"from"`
	Until   *time.Time `json:"until"`
	Message string     `json:"message"`
	// Active is whether maintenance is on right now (enabled and inside the
	// window). Read only.
	Active bool `json:"active"`
	// Updated is when the switch was last written; absent for a switch
	// that still has its configured default. Read only.
	Updated *time.Time `json:"updated,omitempty"`
	// Readable is false while the stored state cannot be read (a damaged
	// value, a failing storage); the fields above then say what the switch
	// is meanwhile (on_state_error). Read only.
	Readable bool `json:"readable"`
	// Error is why the stored state cannot be read; absent while it can.
	// Read only.
	Error string `json:"error,omitempty"`
}

// Document returns the JSON form of s for name at now, as a readable
// switch (Switch.Document reports one that is not).
func (s *State) Document(name string, now time.Time) Document {
	d := Document{Name: name, Enabled: s.Enabled, Message: s.Message, Active: s.Active(now), Readable: true}
	d.From = timePtr(s.From)
	d.Until = timePtr(s.Until)
	d.Updated = timePtr(s.Updated)
	return d
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	t = t.UTC()
	return &t
}

// maxStoredSize bounds a stored state: a message of MaxMessageLength and
// the rest fit many times over.
const maxStoredSize = 64 << 10

// stored is the storage encoding of a State.
type stored struct {
	Enabled bool       `json:"enabled"`
	From    *time.Time `json:"from,omitempty"`
	Until   *time.Time `json:"until,omitempty"`
	Message string     `json:"message,omitempty"`
	Updated *time.Time `json:"updated,omitempty"`
}

// MarshalState encodes s for storage.
func MarshalState(s State) ([]byte, error) {
	return json.Marshal(stored{
		Enabled: s.Enabled,
		From:    timePtr(s.From),
		Until:   timePtr(s.Until),
		Message: s.Message,
		Updated: timePtr(s.Updated),
	})
}

// storedState decodes stored, telling a missing "enabled" from false.
type storedState struct {
	stored
	Enabled *bool `json:"enabled"`
}

// UnmarshalState decodes a State written by MarshalState. Anything else —
// truncated or invalid JSON, not an object, no "enabled", a message longer
// than MaxMessageLength, more than 64 KiB — is an error: a damaged value
// must never read as a switch that is off.
func UnmarshalState(b []byte) (State, error) {
	if len(b) > maxStoredSize {
		return State{}, fmt.Errorf("%d bytes, more than a switch ever holds (%d)", len(b), maxStoredSize)
	}
	var st storedState
	if err := json.Unmarshal(b, &st); err != nil {
		return State{}, err
	}
	if st.Enabled == nil {
		return State{}, errors.New(`no "enabled" field`)
	}
	if len(st.Message) > MaxMessageLength {
		return State{}, fmt.Errorf("message is longer than %d bytes", MaxMessageLength)
	}
	s := State{Enabled: *st.Enabled, Message: st.Message}
	if st.From != nil {
		s.From = *st.From
	}
	if st.Until != nil {
		s.Until = *st.Until
	}
	if st.Updated != nil {
		s.Updated = *st.Updated
	}
	return s, nil
}

// Update is the body of a PUT request. Enabled defaults to true: a PUT puts
// the site into maintenance unless it says otherwise.
type Update struct {
	Enabled *bool      `json:"enabled"`
	From    *time.Time `json:"from"`
	Until   *time.Time `json:"until"`
	Message *string    `json:"message"`
}

// ErrBadRequest wraps every error of ParseUpdate.
var ErrBadRequest = errors.New("bad request")

// ParseUpdate decodes and checks a PUT body at now and returns the new state
// (without Updated, which Registry.Set stamps).
// Times are RFC 3339. Errors wrap ErrBadRequest and say what is wrong.
func ParseUpdate(body []byte, now time.Time) (State, error) {
	bad := func(format string, args ...any) (State, error) {
		return State{}, fmt.Errorf("%w: "+format, append([]any{ErrBadRequest}, args...)...)
	}
	var u Update
	if len(bytes.TrimSpace(body)) > 0 {
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&u); err != nil {
			return bad("invalid JSON body: %v (expected {\"enabled\":true,\"from\":\"<RFC 3339>\",\"until\":\"<RFC 3339>\",\"message\":\"...\"})", err)
		}
		if dec.More() {
			return bad("invalid JSON body: more than one JSON value")
		}
	}
	s := State{Enabled: true}
	if u.Enabled != nil {
		s.Enabled = *u.Enabled
	}
	if u.From != nil {
		s.From = u.From.UTC()
	}
	if u.Until != nil {
		s.Until = u.Until.UTC()
	}
	if u.Message != nil {
		if len(*u.Message) > MaxMessageLength {
			return bad("message is longer than %d bytes", MaxMessageLength)
		}
		s.Message = *u.Message
	}
	if !s.From.IsZero() && !s.Until.IsZero() && !s.Until.After(s.From) {
		return bad("until (%s) must be after from (%s)", s.Until.Format(time.RFC3339), s.From.Format(time.RFC3339))
	}
	if !s.Until.IsZero() && !s.Until.After(now) {
		return bad("until (%s) is in the past", s.Until.Format(time.RFC3339))
	}
	return s, nil
}

var nameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$`)

// ValidName reports whether name can name a maintenance: 1 to 64 letters,
// digits, '_', '.' or '-', starting with a letter or digit. Names appear in
// URLs, storage keys and cookie names.
func ValidName(name string) bool { return nameRE.MatchString(name) }
