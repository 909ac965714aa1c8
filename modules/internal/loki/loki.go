// Package loki ships log lines to Grafana Loki's push API without ever
// making the writer wait: Write copies the line into a bounded queue and
// returns; one goroutine batches the queue, encodes each batch as the Loki
// push protobuf compressed with snappy, and posts it, retrying 429 and 5xx
// answers with capped, jittered exponential backoff. A full queue drops the
// line and counts it. Close flushes what is queued for a bounded time.
//
// A line's trace id (a JSON field "trace_id" of 32 hex digits) is sent as
// Loki structured metadata, never as a stream label.
//
// The package has no Caddy dependency; counters are plain atomics in Stats
// so that the caller decides where they are exported.
package loki

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"
)

// Defaults for zero Config fields.
const (
	DefaultBatchWait       = time.Second
	DefaultBatchSize       = 1 << 20 // bytes
	DefaultBuffer          = 10000   // entries
	DefaultTimeout         = 10 * time.Second
	DefaultMaxLineSize     = 256 << 10 // Loki's default max_line_size
	DefaultMinBackoff      = 250 * time.Millisecond
	DefaultMaxBackoff      = 10 * time.Second
	DefaultMaxRetries      = 10
	DefaultShutdownTimeout = 5 * time.Second
)

// TraceIDKey is the structured metadata key (and the JSON field read from
// each line) that carries the trace id.
const TraceIDKey = "trace_id"

// Config configures a Shipper. Zero fields take the defaults above.
type Config struct {
	// URL is Loki's push endpoint, e.g. http://127.0.0.1:3100/loki/api/v1/push.
	URL string
	// Labels is the stream selector every line is sent with, e.g. {job="frontdoor"}.
	Labels string
	// Header is added to every push request (X-Scope-OrgID, Authorization).
	Header http.Header

	BatchWait   time.Duration // longest time a line waits for its batch to fill
	BatchSize   int           // bytes of log lines that trigger a push
	Buffer      int           // lines held (queued or being pushed) while Loki is slow or down
	Timeout     time.Duration // limit of one push request
	MaxLineSize int           // longer lines are truncated to this many bytes
	// MaxQueueBytes bounds the memory of the lines held; zero is
	// MaxQueueBytes or four batches, whichever is larger.
	MaxQueueBytes int64

	MinBackoff time.Duration // first retry delay
	MaxBackoff time.Duration // cap of the retry delay
	MaxRetries int           // retries of one batch before it fails

	// ShutdownTimeout bounds Close: what is not delivered by then fails.
	ShutdownTimeout time.Duration

	// Client posts the batches; nil uses a client of its own.
	Client *http.Client
	// Stats receives the counters; nil keeps them in the Shipper only.
	Stats *Stats
	// OnError, if set, is told (from the shipping goroutine) about every
	// batch that could not be delivered, and every retry.
	OnError func(err error, entries int, willRetry bool)
}

func (c *Config) setDefaults() {
	if c.BatchWait <= 0 {
		c.BatchWait = DefaultBatchWait
	}
	if c.BatchSize <= 0 {
		c.BatchSize = DefaultBatchSize
	}
	if c.Buffer <= 0 {
		c.Buffer = DefaultBuffer
	}
	if c.Timeout <= 0 {
		c.Timeout = DefaultTimeout
	}
	if c.MaxLineSize <= 0 {
		c.MaxLineSize = DefaultMaxLineSize
	}
	if c.MinBackoff <= 0 {
		c.MinBackoff = DefaultMinBackoff
	}
	if c.MaxBackoff < c.MinBackoff {
		c.MaxBackoff = max(DefaultMaxBackoff, c.MinBackoff)
	}
	if c.MaxRetries < 0 {
		c.MaxRetries = 0
	} else if c.MaxRetries == 0 {
		c.MaxRetries = DefaultMaxRetries
	}
	if c.ShutdownTimeout <= 0 {
		c.ShutdownTimeout = DefaultShutdownTimeout
	}
	if c.Stats == nil {
		c.Stats = new(Stats)
	}
}

// Stats counts what happened to written lines. Several shippers may share
// one Stats; the counters only grow, the queue gauge follows the queues.
type Stats struct {
	sent, dropped, failed atomic.Uint64
	queued                atomic.Int64
}

// Sent is the number of lines Loki accepted.
func (s *Stats) Sent() uint64 { return s.sent.Load() }

// Dropped is the number of lines never queued: the queue was full or the
// shipper closed.
func (s *Stats) Dropped() uint64 { return s.dropped.Load() }

// Failed is the number of queued lines not delivered: Loki rejected their
// batch with a 4xx other than 429, retries ran out, or shutdown ended first.
func (s *Stats) Failed() uint64 { return s.failed.Load() }

// Queued is the number of lines waiting in queues now (batched or not).
func (s *Stats) Queued() int64 { return s.queued.Load() }

// CountDropped counts n lines dropped before they reached a Shipper.
func (s *Stats) CountDropped(n uint64) { s.dropped.Add(n) }

// entry is one queued line. The line buffer comes from the shipper's pool.
type entry struct {
	ts     int64
	line   *[]byte
	tid    [32]byte
	hasTID bool
}

// Shipper ships lines to one Loki endpoint. It is safe for concurrent use.
type Shipper struct {
	cfg    Config
	client *http.Client
	stats  *Stats
	queue  chan entry
	pools  [len(bufClasses)]sync.Pool

	closed    atomic.Bool
	pending   atomic.Int64 // bytes of lines in the queue
	held      atomic.Int64 // lines held: in the queue and in the batch
	lastWrite atomic.Int64 // when Write was last called, Unix nanoseconds
	writing   atomic.Int64 // Writes in progress: Close waits for them
	heldBytes atomic.Int64 // capacity of the buffers of the lines held
	maxBytes  int64        // most buffer bytes the lines held may take
	kick      chan struct{}
	kickBytes int64 // pending bytes that wake the shipping goroutine
	kickLen   int   // queued lines that wake the shipping goroutine
	stop      chan struct{}
	done      chan struct{}
	closeOnce sync.Once
	ctx       context.Context
	cancel    context.CancelFunc
}

// New starts a Shipper. It does no network I/O until lines arrive.
func New(cfg Config) (*Shipper, error) {
	cfg.setDefaults()
	if cfg.URL == "" {
		return nil, errors.New("loki: no push URL")
	}
	if cfg.Labels == "" {
		return nil, errors.New("loki: no stream labels")
	}
	client := cfg.Client
	if client == nil {
		client = &http.Client{Transport: &http.Transport{
			Proxy:                 http.ProxyFromEnvironment,
			DialContext:           (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
			MaxIdleConnsPerHost:   2,
			IdleConnTimeout:       90 * time.Second,
			TLSHandshakeTimeout:   5 * time.Second,
			ExpectContinueTimeout: time.Second,
		}}
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &Shipper{
		cfg:    cfg,
		client: client,
		stats:  cfg.Stats,
		queue:  make(chan entry, cfg.Buffer),
		kick:   make(chan struct{}, 1),
		// Woken at an eighth of a batch or of the queue, the goroutine
		// keeps the queue mostly empty, so that the whole buffer absorbs
		// a slow push.
		kickBytes: max(int64(cfg.BatchSize/8), 1),
		maxBytes:  cfg.MaxQueueBytes,
		kickLen:   max(cfg.Buffer/8, 1),
		stop:      make(chan struct{}),
		done:      make(chan struct{}),
		ctx:       ctx,
		cancel:    cancel,
	}
	if s.maxBytes <= 0 {
		s.maxBytes = max(MaxQueueBytes, 4*int64(cfg.BatchSize))
	}
	for i, size := range bufClasses {
		s.pools[i].New = func() any { b := make([]byte, 0, size); return &b }
	}
	go s.run()
	return s, nil
}

// MaxQueueBytes bounds the memory of the lines a shipper holds (or four
// batches, when batch_size is larger), whatever their number: buffer lines
// of up to MaxLineSize each could otherwise take gigabytes while Loki is
// down. It counts the capacity of the buffers holding them, not only the
// lines' lengths.
const MaxQueueBytes = 64 << 20

// bufClasses are the sizes of the pooled line buffers: a line is copied
// into the smallest that holds it, so a buffer is never more than four
// times (256 bytes at least) the line it holds, and a short line never
// keeps a buffer that a long one grew. Longer lines get a buffer of their
// own, not pooled.
var bufClasses = [...]int{256, 1 << 10, 4 << 10, 16 << 10, 64 << 10, 256 << 10}

// getBuf returns an empty buffer with room for n bytes.
func (s *Shipper) getBuf(n int) *[]byte {
	for i, size := range bufClasses {
		if n <= size {
			return s.pools[i].Get().(*[]byte)
		}
	}
	b := make([]byte, 0, n)
	return &b
}

// putBuf returns a buffer of one of the classes to its pool.
func (s *Shipper) putBuf(buf *[]byte) {
	for i, size := range bufClasses {
		if cap(*buf) == size {
			s.pools[i].Put(buf)
			return
		}
	}
}

// Write queues one log line (a trailing newline is removed; a line longer
// than MaxLineSize is truncated) and returns at once. It never fails: a
// line that does not fit in the queue is dropped and counted.
func (s *Shipper) Write(p []byte) (int, error) {
	n := len(p)
	now := time.Now().UnixNano()
	// Written at most once a millisecond: a store on every line would
	// bounce the cache line between the cores that write.
	if now-s.lastWrite.Load() > int64(time.Millisecond) {
		s.lastWrite.Store(now)
	}
	// Buffer bounds every line held: in the queue, and in the batch being
	// pushed (or retried) meanwhile. A full shipper is seen with reads
	// alone, the cheapest way to drop while Loki is away.
	if s.closed.Load() || s.held.Load() >= int64(s.cfg.Buffer) {
		s.stats.dropped.Add(1)
		return n, nil
	}
	s.writing.Add(1)
	defer s.writing.Add(-1)
	if s.closed.Load() || s.held.Add(1) > int64(s.cfg.Buffer) {
		s.held.Add(-1)
		s.stats.dropped.Add(1)
		return n, nil
	}
	line := bytes.TrimRight(p, "\r\n")
	if len(line) > s.cfg.MaxLineSize {
		line = truncate(line, s.cfg.MaxLineSize)
	}
	buf := s.getBuf(len(line))
	size := int64(cap(*buf))
	if s.heldBytes.Add(size) > s.maxBytes {
		// Long lines (huge request headers) while Loki is away: memory is
		// bounded in bytes too, not only in lines.
		s.heldBytes.Add(-size)
		s.held.Add(-1)
		s.putBuf(buf)
		s.stats.dropped.Add(1)
		return n, nil
	}
	e := entry{ts: now}
	e.hasTID = TraceID(p, &e.tid)
	*buf = append((*buf)[:0], line...)
	e.line = buf

	s.stats.queued.Add(1)
	select {
	case s.queue <- e:
	default:
		s.forget(e)
		s.stats.dropped.Add(1)
		return n, nil
	}
	if (s.pending.Add(int64(len(line))) >= s.kickBytes || len(s.queue) >= s.kickLen) && len(s.kick) == 0 {
		select {
		case s.kick <- struct{}{}:
		default:
		}
	}
	return n, nil
}

// truncate cuts line to at most limit bytes without splitting a UTF-8
// sequence.
func truncate(line []byte, limit int) []byte {
	cut := limit
	for cut > 0 && cut > limit-utf8.UTFMax && !utf8.RuneStart(line[cut]) {
		cut--
	}
	return line[:cut]
}

var traceIDKey = []byte(`"` + TraceIDKey + `":"`)

// TraceID finds the JSON field "trace_id" holding 32 lowercase hex digits
// in line and copies the digits to dst. It searches from the end, where
// Caddy puts a request's extra log fields. A JSON encoder escapes quotes
// inside values, so the key pattern cannot be forged through a logged value.
func TraceID(line []byte, dst *[32]byte) bool {
	for rest := line; ; {
		i := bytes.LastIndex(rest, traceIDKey)
		if i < 0 {
			return false
		}
		v := rest[i+len(traceIDKey):]
		if len(v) > 32 && v[32] == '"' && isLowerHex(v[:32]) {
			copy(dst[:], v[:32])
			return true
		}
		rest = rest[:i]
	}
}

func isLowerHex(b []byte) bool {
	for _, c := range b {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// forget lets go of a line held: its counts, and its buffer.
func (s *Shipper) forget(e entry) {
	s.held.Add(-1)
	s.heldBytes.Add(-int64(cap(*e.line)))
	s.stats.queued.Add(-1)
	s.putBuf(e.line)
}

// Len is the number of lines waiting in this shipper's queue.
func (s *Shipper) Len() int { return len(s.queue) }

// LastWrite is when Write was last called (dropped lines count): the
// zero time if never.
func (s *Shipper) LastWrite() time.Time {
	if ns := s.lastWrite.Load(); ns != 0 {
		return time.Unix(0, ns)
	}
	return time.Time{}
}

// Held is the number of lines this shipper holds: queued, or in the batch
// being pushed. It never exceeds Config.Buffer.
func (s *Shipper) Held() int { return int(s.held.Load()) }

// HeldBytes is the memory the held lines' buffers take. It never exceeds
// the byte bound (MaxQueueBytes or Config.MaxQueueBytes).
func (s *Shipper) HeldBytes() int64 { return s.heldBytes.Load() }

// Close stops accepting lines, pushes what is queued and returns within
// ShutdownTimeout (plus the time to abandon a request in flight); lines not
// delivered by then count as failed. It is safe to call more than once.
func (s *Shipper) Close() error {
	s.closeOnce.Do(func() {
		s.closed.Store(true)
		// A Write that saw the shipper open finishes queueing its line
		// before the queue is drained: no line is left behind uncounted.
		for s.writing.Load() > 0 {
			time.Sleep(10 * time.Microsecond)
		}
		close(s.stop)
		timer := time.NewTimer(s.cfg.ShutdownTimeout)
		defer timer.Stop()
		select {
		case <-s.done:
		case <-timer.C:
			s.cancel()
			<-s.done
		}
		s.cancel()
		s.client.CloseIdleConnections()
	})
	return nil
}

// run is the shipping goroutine: it batches the queue and pushes batches.
func (s *Shipper) run() {
	defer close(s.done)
	var b batch
	// The goroutine wakes on a tick, or when Write has queued an eighth
	// of a batch or of the buffer; never once per line, which would cost
	// every request a goroutine wake-up.
	tick := time.NewTicker(s.cfg.BatchWait)
	defer tick.Stop()
	for {
		select {
		case <-tick.C:
			s.collect(&b)
			s.push(&b)
		case <-s.kick:
			s.collect(&b)
		case <-s.stop:
			s.drain(&b)
			return
		}
	}
}

// collect moves the lines queued now into batches, pushing full ones. The
// rest waits for the next tick, so no line waits longer than BatchWait
// (plus the time to push what is ahead of it).
func (s *Shipper) collect(b *batch) {
	for n := len(s.queue); n > 0; n-- {
		e := <-s.queue
		s.pending.Add(-int64(len(*e.line)))
		s.add(b, e)
	}
}

// add appends e to b, pushing b first when e would overfill it.
func (s *Shipper) add(b *batch, e entry) {
	if len(b.entries) > 0 && b.bytes+len(*e.line) > s.cfg.BatchSize {
		s.push(b)
	}
	b.entries = append(b.entries, e)
	b.bytes += len(*e.line)
	if b.bytes >= s.cfg.BatchSize {
		s.push(b)
	}
}

// drain pushes everything still queued; Close cancels it at its deadline.
func (s *Shipper) drain(b *batch) {
	for {
		select {
		case e := <-s.queue:
			s.pending.Add(-int64(len(*e.line)))
			s.add(b, e)
		default:
			s.push(b)
			// A Write racing with Close may still have queued a line.
			for {
				select {
				case e := <-s.queue:
					s.stats.dropped.Add(1)
					s.forget(e)
				default:
					return
				}
			}
		}
	}
}

// push sends b (retrying as configured), counts the outcome and empties b.
func (s *Shipper) push(b *batch) {
	if len(b.entries) == 0 {
		return
	}
	defer s.reset(b)
	s.pushEntries(b, b.entries)
}

// pushEntries sends entries, part or all of b, retrying 429, 5xx and
// network errors with backoff. A 413 (the receiver's request size limit)
// splits them in two halves sent one after the other, down to single
// entries; any other 4xx fails them: Loki answers 400 when it rejected some
// entries of a push and stored the rest, so a retry would store those twice.
func (s *Shipper) pushEntries(b *batch, entries []entry) {
	n := len(entries)
	if s.ctx.Err() != nil {
		s.fail(n, ErrShutdown, false)
		return
	}
	body, err := b.encodeEntries(s.cfg.Labels, entries)
	if err != nil {
		s.fail(n, fmt.Errorf("encoding batch: %w", err), false)
		return
	}
	for attempt := 0; ; attempt++ {
		status, retryAfter, answer, err := s.post(body)
		if err == nil && status/100 == 2 {
			s.stats.sent.Add(uint64(n))
			return
		}
		if err == nil && status == http.StatusRequestEntityTooLarge && n > 1 {
			half := n / 2
			s.pushEntries(b, entries[:half])
			s.pushEntries(b, entries[half:])
			return
		}
		retryable := err != nil || status == http.StatusTooManyRequests || status/100 == 5
		if err == nil {
			err = &StatusError{Status: status, Answer: answer}
		}
		if !retryable || attempt >= s.cfg.MaxRetries || s.ctx.Err() != nil {
			s.fail(n, err, false)
			return
		}
		if s.cfg.OnError != nil {
			s.cfg.OnError(err, n, true)
		}
		wait := time.NewTimer(s.backoff(attempt, retryAfter))
		select {
		case <-wait.C:
		case <-s.ctx.Done():
			wait.Stop()
			s.fail(n, s.ctx.Err(), false)
			return
		}
	}
}

// ErrShutdown is reported for lines not delivered when Close's deadline
// passed.
var ErrShutdown = errors.New("loki: not delivered within the shutdown timeout")

func (s *Shipper) fail(entries int, err error, willRetry bool) {
	if s.ctx.Err() != nil {
		err = ErrShutdown
	}
	s.stats.failed.Add(uint64(entries))
	if s.cfg.OnError != nil {
		s.cfg.OnError(err, entries, willRetry)
	}
}

// reset returns b's buffers to the pool and empties it.
func (s *Shipper) reset(b *batch) {
	for i := range b.entries {
		s.forget(b.entries[i])
	}
	clear(b.entries)
	b.entries = b.entries[:0]
	clear(b.pe)
	b.bytes = 0
}

// backoff is the delay before retry number attempt+1: exponential from
// MinBackoff, capped at MaxBackoff, with jitter in its upper half, and at
// least a server's Retry-After (also capped).
func (s *Shipper) backoff(attempt int, retryAfter time.Duration) time.Duration {
	d := s.cfg.MaxBackoff
	if attempt < 30 {
		d = min(s.cfg.MinBackoff<<attempt, s.cfg.MaxBackoff)
	}
	d = d/2 + rand.N(d/2+1)
	if retryAfter > d {
		d = min(retryAfter, s.cfg.MaxBackoff)
	}
	return d
}

// StatusError is a push answered with a non-2xx status.
type StatusError struct {
	Status int
	// Answer is the start of the response body (at most MaxAnswer bytes,
	// control characters replaced): why the receiver refused the push.
	Answer string
}

// MaxAnswer bounds the part of a refusal's body kept in a StatusError.
const MaxAnswer = 512

func (e *StatusError) Error() string {
	msg := "loki answered " + strconv.Itoa(e.Status) + " " + http.StatusText(e.Status)
	if e.Answer != "" {
		msg += ": " + e.Answer
	}
	return msg
}

// answerText makes the start of a response body fit for a log line: valid
// UTF-8, no control characters, at most MaxAnswer bytes.
func answerText(body []byte) string {
	body = bytes.TrimSpace(body)
	if len(body) > MaxAnswer {
		body = truncate(body, MaxAnswer)
	}
	return strings.Map(func(r rune) rune {
		if r == utf8.RuneError || r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, string(body))
}

// post sends one encoded batch. answer is the start of the body of a
// non-2xx response.
func (s *Shipper) post(body []byte) (status int, retryAfter time.Duration, answer string, err error) {
	ctx, cancel := context.WithTimeout(s.ctx, s.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.cfg.URL, bytes.NewReader(body))
	if err != nil {
		return 0, 0, "", err
	}
	for k, v := range s.cfg.Header {
		req.Header[k] = v
	}
	req.Header.Set("Content-Type", "application/x-protobuf")
	req.Header.Set("User-Agent", "frontdoor")
	resp, err := s.client.Do(req)
	if err != nil {
		return 0, 0, "", err
	}
	// Read a little, so the connection can be reused and a refusal says
	// why; never read unbounded.
	if resp.StatusCode/100 != 2 {
		head, _ := io.ReadAll(io.LimitReader(resp.Body, MaxAnswer))
		answer = answerText(head)
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4<<10))
	resp.Body.Close()
	if secs, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && secs > 0 {
		retryAfter = time.Duration(secs) * time.Second
	}
	return resp.StatusCode, retryAfter, answer, nil
}

// ValidLabelName reports whether name can be a Loki stream label: letters,
// digits and _, not starting with a digit, and not starting with __ (names
// Loki keeps for itself).
func ValidLabelName(name string) bool {
	if name == "" || strings.HasPrefix(name, "__") || name[0] >= '0' && name[0] <= '9' {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}
