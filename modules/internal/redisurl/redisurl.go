// Package redisurl keeps Redis passwords out of messages: a store URL like
// redis://user:secret@host:6379/0 is shown as redis://user:xxxxx@host:6379/0
// in errors and logs, even when the URL does not parse.
package redisurl

import (
	"errors"
	"strings"
)

// Mask replaces a password.
const Mask = "xxxxx"

// Redact returns raw with the password of its userinfo (and a lone
// userinfo, which go-redis reads as a password) masked. It never fails: an
// unparsable URL is masked by its text.
func Redact(raw string) string {
	pw, ok := password(raw)
	if !ok {
		return forgottenAt(raw)
	}
	return strings.Replace(raw, pw+"@", Mask+"@", 1)
}

// forgottenAt masks the middle of an authority written user:password:port,
// with the "@" before the host forgotten.
func forgottenAt(raw string) string {
	i := strings.Index(raw, "//")
	if i < 0 {
		return raw
	}
	start := i + 2
	end := len(raw)
	if j := strings.IndexAny(raw[start:], "/?#"); j >= 0 {
		end = start + j
	}
	parts := strings.Split(raw[start:end], ":")
	if len(parts) != 3 || parts[1] == "" || strings.ContainsAny(raw[start:end], "[]") {
		return raw
	}
	return raw[:start] + parts[0] + ":" + Mask + ":" + parts[2] + raw[end:]
}

// Error wraps err, which was returned for raw, with the password masked
// wherever err's text quotes it (url.Parse errors quote the whole URL).
func Error(raw string, err error) error {
	if err == nil {
		return nil
	}
	pw, ok := password(raw)
	if !ok || pw == "" {
		return err
	}
	return &redacted{msg: strings.ReplaceAll(err.Error(), pw, Mask), err: err}
}

// password finds the userinfo's password: what lies between the scheme's
// "//" (and a user name and ":", if any) and the last "@" before the path.
func password(raw string) (string, bool) {
	_, rest, ok := strings.Cut(raw, "//")
	if !ok {
		return "", false
	}
	if i := strings.IndexAny(rest, "/?#"); i >= 0 {
		// The authority ends at the path, unless an "@" follows (a
		// password may contain "/" when it is not escaped).
		if at := strings.LastIndex(rest, "@"); at < i {
			rest = rest[:i]
		}
	}
	at := strings.LastIndex(rest, "@")
	if at < 0 {
		return "", false
	}
	userinfo := rest[:at]
	if _, pw, ok := strings.Cut(userinfo, ":"); ok {
		return pw, pw != ""
	}
	return userinfo, userinfo != ""
}

type redacted struct {
	msg string
	err error
}

func (r *redacted) Error() string { return r.msg }

// Unwrap keeps errors.Is and errors.As working on the original error.
func (r *redacted) Unwrap() error { return r.err }

var _ interface{ Unwrap() error } = (*redacted)(nil)

// Is reports whether err is a redacted error (for tests and callers that
// must not log the original).
func Is(err error) bool {
	var r *redacted
	return errors.As(err, &r)
}
