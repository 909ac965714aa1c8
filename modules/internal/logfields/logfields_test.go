package logfields

import (
	"context"
	"testing"

	"go.uber.org/zap/zapcore"

	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
)

type visitorFields struct{ country, device string }

func (v visitorFields) MarshalLogObject(enc zapcore.ObjectEncoder) error {
	enc.AddString("country", v.country)
	enc.AddString("device", v.device)
	return nil
}

func requestContext() context.Context {
	ctx := context.WithValue(context.Background(), caddyhttp.VarsCtxKey, map[string]any{})
	return context.WithValue(ctx, caddyhttp.ExtraLogFieldsCtxKey, new(caddyhttp.ExtraLogFields))
}

// The first handler's spare becomes the request's entry; a later handler
// writes into it, whichever order they run in.
func TestOneEntryPerRequest(t *testing.T) {
	for _, traceFirst := range []bool{true, false} {
		ctx := requestContext()
		var traceSpare, visitorSpare Entry
		setTrace := func() { Of(ctx, &traceSpare).SetTraceID("4bf92f3577b34da6a3ce929d0e0e4736") }
		setVisitor := func() { Of(ctx, &visitorSpare).SetVisitor(visitorFields{"KR", "mobile"}) }
		if traceFirst {
			setTrace()
			setVisitor()
		} else {
			setVisitor()
			setTrace()
		}
		first, unused := &traceSpare, &visitorSpare
		if !traceFirst {
			first, unused = unused, first
		}
		if *unused != (Entry{}) {
			t.Fatalf("trace first %v: the second handler's spare was used: %+v", traceFirst, unused)
		}
		enc := zapcore.NewMapObjectEncoder()
		if err := first.MarshalLogObject(enc); err != nil {
			t.Fatal(err)
		}
		want := map[string]any{"trace_id": "4bf92f3577b34da6a3ce929d0e0e4736", "country": "KR", "device": "mobile"}
		if len(enc.Fields) != len(want) {
			t.Fatalf("trace first %v: fields %v, want %v", traceFirst, enc.Fields, want)
		}
		for k, v := range want {
			if enc.Fields[k] != v {
				t.Fatalf("trace first %v: fields %v, want %v", traceFirst, enc.Fields, want)
			}
		}
	}
}

func TestOnlyWhatWasSet(t *testing.T) {
	ctx := requestContext()
	var spare Entry
	Of(ctx, &spare).SetTraceID("abc")
	enc := zapcore.NewMapObjectEncoder()
	_ = spare.MarshalLogObject(enc)
	if len(enc.Fields) != 1 || enc.Fields[TraceIDField] != "abc" {
		t.Fatalf("fields %v, want only trace_id", enc.Fields)
	}
}

func TestNoLogContext(t *testing.T) {
	var spare Entry
	if e := Of(context.Background(), &spare); e != nil {
		t.Fatalf("Of without Caddy's request context = %p, want nil", e)
	}
}

func BenchmarkOfExisting(b *testing.B) {
	ctx := requestContext()
	var spare Entry
	Of(ctx, &spare)
	b.ReportAllocs()
	for b.Loop() {
		Of(ctx, &spare).SetTraceID("abc")
	}
}

func TestWaitingRoomFields(t *testing.T) {
	ctx := requestContext()
	var traceSpare Entry
	Of(ctx, &traceSpare).SetTraceID("4bf92f3577b34da6a3ce929d0e0e4736")
	e := For(ctx)
	if e != &traceSpare {
		t.Fatal("For made a second entry after trace_id registered one")
	}
	e.SetWaitingRoom("queued", 12)
	enc := zapcore.NewMapObjectEncoder()
	if err := e.MarshalLogObject(enc); err != nil {
		t.Fatal(err)
	}
	if enc.Fields[WaitingRoomField] != "queued" || enc.Fields[WaitingRoomPositionField] != 12 || enc.Fields[TraceIDField] == nil {
		t.Fatalf("fields %v", enc.Fields)
	}
	alone := For(requestContext())
	alone.SetWaitingRoom("admitted", 0)
	enc = zapcore.NewMapObjectEncoder()
	alone.MarshalLogObject(enc)
	if len(enc.Fields) != 1 || enc.Fields[WaitingRoomField] != "admitted" {
		t.Fatalf("fields %v", enc.Fields)
	}
	if For(context.Background()) != nil {
		t.Fatal("an entry outside a Caddy request")
	}
}
