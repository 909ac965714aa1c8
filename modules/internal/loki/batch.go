package loki

import (
	"time"
	"unsafe"

	"github.com/golang/snappy"
	"github.com/grafana/loki/pkg/push"
)

// batch is the shipping goroutine's current batch and the buffers it
// reuses from one push to the next.
type batch struct {
	entries []entry
	bytes   int

	pe   []push.Entry
	md   []push.LabelAdapter
	req  push.PushRequest
	raw  []byte
	body []byte
}

// encode builds the snappy-compressed push request for b's entries. The
// request's strings alias the entries' buffers (no copy); they stay valid
// until the batch is reset, after the request has been sent.
func (b *batch) encode(labels string) ([]byte, error) {
	return b.encodeEntries(labels, b.entries)
}

// encodeEntries is encode for part of b's entries (a batch split in two
// after a 413). The returned body is valid until the next encode.
func (b *batch) encodeEntries(labels string, entries []entry) ([]byte, error) {
	b.md = b.md[:0]
	for i := range entries {
		if e := &entries[i]; e.hasTID {
			b.md = append(b.md, push.LabelAdapter{Name: TraceIDKey, Value: unsafe.String(&e.tid[0], len(e.tid))})
		}
	}
	b.pe = b.pe[:0]
	md := 0
	for i := range entries {
		e := &entries[i]
		pe := push.Entry{
			Timestamp: time.Unix(0, e.ts),
			Line:      unsafe.String(unsafe.SliceData(*e.line), len(*e.line)),
		}
		if e.hasTID {
			pe.StructuredMetadata = b.md[md : md+1 : md+1]
			md++
		}
		b.pe = append(b.pe, pe)
	}
	if len(b.req.Streams) == 0 {
		b.req.Streams = make([]push.Stream, 1)
	}
	b.req.Streams[0] = push.Stream{Labels: labels, Entries: b.pe}

	size := b.req.Size()
	if cap(b.raw) < size {
		b.raw = make([]byte, size)
	}
	n, err := b.req.MarshalTo(b.raw[:size])
	if err != nil {
		return nil, err
	}
	m := snappy.MaxEncodedLen(n)
	if cap(b.body) < m {
		b.body = make([]byte, m)
	}
	b.body = snappy.Encode(b.body[:m], b.raw[:n])
	return b.body, nil
}
