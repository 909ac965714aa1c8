package lokiwriter

import (
	"errors"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
)

// TestFailureLogIsRateLimited reports failures faster than the interval:
// one error line per interval, carrying the receiver's answer, and the
// next line counts what was held back. Retries stay at debug level.
func TestFailureLogIsRateLimited(t *testing.T) {
	core, logs := observer.New(zapcore.DebugLevel)
	clock := time.Unix(1_800_000_000, 0)
	f := &failureLogger{writer: "loki test", logger: zap.New(core), now: func() time.Time { return clock }}
	refusal := errors.New("loki answered 400 Bad Request: entry too far behind")

	f.report(refusal, 10, false)
	for range 5 {
		clock = clock.Add(time.Second)
		f.report(refusal, 3, false)
	}
	f.report(errors.New("connection refused"), 7, true)
	if n := logs.FilterLevelExact(zapcore.ErrorLevel).Len(); n != 1 {
		t.Fatalf("%d error lines for 6 failures within 5 s, want 1", n)
	}
	first := logs.FilterLevelExact(zapcore.ErrorLevel).All()[0]
	if got := first.ContextMap()["error"]; got != refusal.Error() {
		t.Fatalf("error field %v, want the receiver's answer %q", got, refusal)
	}
	if logs.FilterLevelExact(zapcore.DebugLevel).Len() != 1 {
		t.Fatal("a retry is not logged at debug level")
	}

	clock = clock.Add(failureLogInterval)
	f.report(refusal, 2, false)
	errs := logs.FilterLevelExact(zapcore.ErrorLevel).All()
	if len(errs) != 2 {
		t.Fatalf("%d error lines after the interval, want 2", len(errs))
	}
	ctx := errs[1].ContextMap()
	if ctx["earlier_failures_not_logged"] != int64(5) || ctx["earlier_entries_lost"] != int64(15) {
		t.Fatalf("second line %v: want 5 failures (15 entries) held back", ctx)
	}
}
