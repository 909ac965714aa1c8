package waitingroom

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/frontdoor-gateway/frontdoor/modules/internal/appstate"

	"github.com/caddyserver/caddy/v2"

	wr "github.com/frontdoor-gateway/frontdoor/modules/internal/waitingroom"
)

func init() {
	caddy.RegisterModule(adminAPI{})
}

// maxBodySize bounds PUT bodies.
const maxBodySize = 64 << 10

// storeCallTimeout bounds the admin API's calls to a room's store.
const storeCallTimeout = 2 * time.Second

// adminAPI serves the waiting rooms on the admin endpoint:
//
//	GET    /waiting-room         every room of the running config
//	GET    /waiting-room/<name>  {"name","mode","active","queued","admitted_last_minute","active_users","new_users_per_minute","event"}
//	PUT    /waiting-room/<name>  {"mode"?: "auto"|"queue_all"|"pause"|"passthrough", "active_users"?, "new_users_per_minute"?}
//	DELETE /waiting-room/<name>  reset: empty the line, end every session
//
// Changes are kept in the room's store (Redis: shared by every gateway,
// which applies them at its next decision; memory: for the life of the
// process) and survive config reloads. In a PUT, "active_users": null (or
// "new_users_per_minute": null) goes back to the configured value.
type adminAPI struct{}

// CaddyModule returns the Caddy module information.
func (adminAPI) CaddyModule() caddy.ModuleInfo {
	return caddy.ModuleInfo{
		ID:  "admin.api.waiting_room",
		New: func() caddy.Module { return new(adminAPI) },
	}
}

// Routes returns the waiting-room routes.
func (a *adminAPI) Routes() []caddy.AdminRoute {
	return []caddy.AdminRoute{
		{Pattern: "/waiting-room", Handler: caddy.AdminHandlerFunc(a.handleList)},
		{Pattern: "/waiting-room/", Handler: caddy.AdminHandlerFunc(a.handleName)},
	}
}

// Document is a room as the admin API shows it.
type Document struct {
	Name               string     `json:"name"`
	Mode               wr.Mode    `json:"mode"`
	Active             int        `json:"active"`
	Queued             int        `json:"queued"`
	AdmittedLastMinute int        `json:"admitted_last_minute"`
	ActiveUsers        int        `json:"active_users"`
	NewUsersPerMinute  int        `json:"new_users_per_minute"`
	Event              *EventTime `json:"event"`
}

// EventTime is a room's event in the admin API.
type EventTime struct {
	Prequeue time.Time  `json:"prequeue"`
	Start    time.Time  `json:"start"`
	End      *time.Time `json:"end"`
}

func document(name string, u *roomUse, st wr.Status) Document {
	d := Document{
		Name: name, Mode: st.Mode, Active: st.Active, Queued: st.Queued,
		AdmittedLastMinute: st.AdmittedLastMinute, ActiveUsers: st.ActiveUsers,
		NewUsersPerMinute: st.NewUsersPerMinute,
	}
	if d.Mode == "" {
		d.Mode = wr.ModeAuto
	}
	if s := u.settings; s.HasEvent() {
		d.Event = &EventTime{Prequeue: s.Prequeue, Start: s.Start}
		if !s.End.IsZero() {
			end := s.End
			d.Event.End = &end
		}
	}
	return d
}

func (a *adminAPI) handleList(w http.ResponseWriter, r *http.Request) error {
	if r.Method != http.MethodGet {
		return apiError(http.StatusMethodNotAllowed, "method %s not allowed; use GET", r.Method)
	}
	docs := []Document{}
	if app := current.Current(); app != nil {
		for _, name := range app.names() {
			u, ok := app.lookup(name)
			if !ok {
				continue
			}
			st, err := status(r.Context(), u)
			if err != nil {
				return storeError(name, err)
			}
			docs = append(docs, document(name, u, st))
		}
	}
	return writeJSON(w, http.StatusOK, docs)
}

func status(ctx context.Context, u *roomUse) (wr.Status, error) {
	ctx, cancel := context.WithTimeout(ctx, storeCallTimeout)
	defer cancel()
	s := *u.settings
	s.StoreTimeout = storeCallTimeout
	return u.room.store.Status(ctx, &s)
}

func (a *adminAPI) handleName(w http.ResponseWriter, r *http.Request) error {
	name := strings.TrimPrefix(r.URL.Path, "/waiting-room/")
	app := current.Current()
	if app == nil {
		return apiError(http.StatusNotFound, "unknown waiting room %q: the running config has no waiting_room handlers", name)
	}
	u, ok := app.lookup(name)
	if !ok {
		return apiError(http.StatusNotFound, "unknown waiting room %q: no waiting_room handler of the running config has this name", name)
	}
	ctx, cancel := context.WithTimeout(r.Context(), storeCallTimeout)
	defer cancel()
	s := *u.settings
	s.StoreTimeout = storeCallTimeout
	var st wr.Status
	var err error
	switch r.Method {
	case http.MethodGet:
		st, err = u.room.store.Status(ctx, &s)
	case http.MethodPut:
		body, rerr := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBodySize))
		if rerr != nil {
			return apiError(http.StatusBadRequest, "reading body: %v", rerr)
		}
		upd, perr := ParseUpdate(body)
		if perr != nil {
			return apiError(http.StatusBadRequest, "%v", perr)
		}
		st, err = u.room.store.Update(ctx, &s, upd)
	case http.MethodDelete:
		if err = u.room.store.Reset(ctx); err == nil {
			st, err = u.room.store.Status(ctx, &s)
		}
	default:
		return apiError(http.StatusMethodNotAllowed, "method %s not allowed; use GET, PUT or DELETE", r.Method)
	}
	if err != nil {
		return storeError(name, err)
	}
	u.status.Store(&st)
	return writeJSON(w, http.StatusOK, document(name, u, st))
}

// ParseUpdate reads a PUT body: {"mode"?, "active_users"?,
// "new_users_per_minute"?}; a null number goes back to the configuration's.
func ParseUpdate(body []byte) (wr.Update, error) {
	var in struct {
		Mode              *string         `json:"mode"`
		ActiveUsers       json.RawMessage `json:"active_users"`
		NewUsersPerMinute json.RawMessage `json:"new_users_per_minute"`
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		return wr.Update{}, fmt.Errorf("decoding body: %v (want {\"mode\"?, \"active_users\"?, \"new_users_per_minute\"?})", err)
	}
	if dec.More() {
		return wr.Update{}, fmt.Errorf("decoding body: more than one JSON value")
	}
	var u wr.Update
	if in.Mode != nil {
		u.Mode = wr.Mode(*in.Mode)
		if !wr.ValidMode(u.Mode) {
			return wr.Update{}, fmt.Errorf("mode %q: want auto, queue_all, pause or passthrough", *in.Mode)
		}
	}
	var err error
	if u.ActiveUsers, err = limit("active_users", in.ActiveUsers); err != nil {
		return wr.Update{}, err
	}
	if u.NewUsersPerMinute, err = limit("new_users_per_minute", in.NewUsersPerMinute); err != nil {
		return wr.Update{}, err
	}
	if u == (wr.Update{}) && in.Mode == nil && in.ActiveUsers == nil && in.NewUsersPerMinute == nil {
		return wr.Update{}, fmt.Errorf("nothing to change: give mode, active_users or new_users_per_minute")
	}
	return u, nil
}

// limit reads a number of an update: absent 0, null -1, else 1 to MaxUsers.
func limit(name string, raw json.RawMessage) (int, error) {
	if raw == nil {
		return 0, nil
	}
	if string(raw) == "null" {
		return -1, nil
	}
	var n int
	if err := json.Unmarshal(raw, &n); err != nil || n < 1 || n > wr.MaxUsers {
		return 0, fmt.Errorf("%s %s: want a whole number from 1 to %d, or null for the configured value", name, raw, wr.MaxUsers)
	}
	return n, nil
}

func storeError(name string, err error) error {
	return caddy.APIError{HTTPStatus: http.StatusServiceUnavailable,
		Err: fmt.Errorf("waiting room %s: its store did not answer: %v", name, err)}
}

var (
	apiError  = appstate.APIError
	writeJSON = appstate.WriteJSON
)

// Interface guards
var (
	_ caddy.AdminRouter = (*adminAPI)(nil)
)
