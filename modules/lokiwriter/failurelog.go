package lokiwriter

import (
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/caddyserver/caddy/v2"
)

// failureLogInterval is the least time between two error lines of one
// writer: a Loki that refuses every push would otherwise log once a batch.
const failureLogInterval = 10 * time.Second

// failureLogger logs a writer's lost batches, with the receiver's answer,
// at most once per failureLogInterval; the lines it held back are counted
// in the next one. Retries are logged at debug level only.
type failureLogger struct {
	writer string
	logger *zap.Logger
	now    func() time.Time

	mu         sync.Mutex
	last       time.Time
	suppressed int // failures not logged since the last line
	lost       int // entries in them
}

func failureLog(writer string) *failureLogger {
	return &failureLogger{writer: writer, logger: caddy.Log().Named("loki"), now: time.Now}
}

// report is the loki.Config.OnError hook.
func (f *failureLogger) report(err error, entries int, willRetry bool) {
	logger := f.logger
	if willRetry {
		if ce := logger.Check(zap.DebugLevel, "retrying Loki push"); ce != nil {
			ce.Write(zap.String("writer", f.writer), zap.Int("entries", entries), zap.Error(err))
		}
		return
	}
	f.mu.Lock()
	now := f.now()
	if !f.last.IsZero() && now.Sub(f.last) < failureLogInterval {
		f.suppressed++
		f.lost += entries
		f.mu.Unlock()
		return
	}
	f.last = now
	suppressed, lost := f.suppressed, f.lost
	f.suppressed, f.lost = 0, 0
	f.mu.Unlock()

	fields := []zap.Field{zap.String("writer", f.writer), zap.Int("entries", entries), zap.Error(err)}
	if suppressed > 0 {
		fields = append(fields, zap.Int("earlier_failures_not_logged", suppressed), zap.Int("earlier_entries_lost", lost))
	}
	logger.Error("Loki push failed; entries lost", fields...)
}
