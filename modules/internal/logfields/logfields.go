// Package logfields puts frontdoor's fields into a request's access-log
// entry as one inline field, however many frontdoor handlers contribute to
// it. Each caddyhttp.ExtraLogFields.Add costs allocations (Caddy resets a
// cache and grows a slice), so a request pays for one Add, not one per
// handler.
package logfields

import (
	"context"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
)

// TraceIDField is the access-log field that holds the trace id.
const TraceIDField = "trace_id"

// The access-log fields of a waiting room: the request's status there
// (queued, admitted, passthrough) and, while queued, its place in line.
const (
	WaitingRoomField         = "waiting_room"
	WaitingRoomPositionField = "waiting_room_position"
)

// varKey holds the request's *Entry in Caddy's per-request variables.
const varKey = "frontdoor.log_fields"

// Entry is frontdoor's part of one access-log entry. The handler that
// comes first in a request provides the memory, inside a value it keeps for
// the request anyway, so that the entry costs no allocation of its own.
type Entry struct {
	traceID    string
	visitor    zapcore.ObjectMarshaler
	roomStatus string
	position   int
}

// Of returns the request's Entry: the one an earlier handler registered,
// or else spare, which it registers and adds to the access-log entry.
// spare must stay valid until the request is logged. Of returns nil when
// the request has no access-log fields (no Caddy HTTP server context).
func Of(ctx context.Context, spare *Entry) *Entry {
	vars, _ := ctx.Value(caddyhttp.VarsCtxKey).(map[string]any)
	if e, ok := vars[varKey].(*Entry); ok {
		return e
	}
	extra, ok := ctx.Value(caddyhttp.ExtraLogFieldsCtxKey).(*caddyhttp.ExtraLogFields)
	if !ok {
		return nil
	}
	if vars != nil {
		vars[varKey] = spare
	}
	extra.Add(zap.Inline(spare))
	return spare
}

// For returns the request's Entry, or a new one it registers when no
// earlier handler did (that costs an allocation). It returns nil when the
// request has no access-log fields.
func For(ctx context.Context) *Entry {
	vars, _ := ctx.Value(caddyhttp.VarsCtxKey).(map[string]any)
	if e, ok := vars[varKey].(*Entry); ok {
		return e
	}
	if _, ok := ctx.Value(caddyhttp.ExtraLogFieldsCtxKey).(*caddyhttp.ExtraLogFields); !ok {
		return nil
	}
	return Of(ctx, new(Entry))
}

// SetWaitingRoom logs the request's waiting-room status as
// WaitingRoomField and, when position > 0, its place in line as
// WaitingRoomPositionField.
func (e *Entry) SetWaitingRoom(status string, position int) {
	e.roomStatus, e.position = status, position
}

// SetTraceID logs the request's trace id as TraceIDField.
func (e *Entry) SetTraceID(id string) { e.traceID = id }

// SetVisitor logs the fields m marshals (the visitor's "country" and
// "device").
func (e *Entry) SetVisitor(m zapcore.ObjectMarshaler) { e.visitor = m }

// MarshalLogObject implements zapcore.ObjectMarshaler.
func (e *Entry) MarshalLogObject(enc zapcore.ObjectEncoder) error {
	if e.traceID != "" {
		enc.AddString(TraceIDField, e.traceID)
	}
	if e.roomStatus != "" {
		enc.AddString(WaitingRoomField, e.roomStatus)
		if e.position > 0 {
			enc.AddInt(WaitingRoomPositionField, e.position)
		}
	}
	if e.visitor != nil {
		return e.visitor.MarshalLogObject(enc)
	}
	return nil
}

// Provide is Of for a handler that writes the access-log entry itself
// (it reads the Entry with From): spare, if it becomes the request's
// Entry, is not added to Caddy's extra log fields.
func Provide(ctx context.Context, spare *Entry) *Entry {
	vars, _ := ctx.Value(caddyhttp.VarsCtxKey).(map[string]any)
	if vars == nil {
		return nil
	}
	if e, ok := vars[varKey].(*Entry); ok {
		return e
	}
	vars[varKey] = spare
	return spare
}

// From returns the request's Entry, nil when no handler registered one.
func From(ctx context.Context) *Entry {
	vars, _ := ctx.Value(caddyhttp.VarsCtxKey).(map[string]any)
	e, _ := vars[varKey].(*Entry)
	return e
}

// Forget unregisters the request's Entry when it is e, whose memory is
// about to be used again.
func Forget(ctx context.Context, e *Entry) {
	vars, _ := ctx.Value(caddyhttp.VarsCtxKey).(map[string]any)
	if cur, _ := vars[varKey].(*Entry); cur == e && e != nil {
		delete(vars, varKey)
	}
}
