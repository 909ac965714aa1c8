// Package limiter holds frontdoor's rate-limiting logic, free of Caddy: token
// buckets in memory (golang.org/x/time/rate) bounded by a least-recently-used
// cap and swept when idle, a Redis store that shares buckets between
// processes with one atomic round trip, and the normalisation of client
// addresses into keys. Every function takes the time explicitly.
package limiter

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"golang.org/x/time/rate"
)

// Rate is a sustained request rate: Count requests per Per.
type Rate struct {
	Count float64
	Per   time.Duration
}

// ParseRate parses a rate such as "10r/s", "600r/m" or "5r/h" (requests per
// second, minute or hour). The count may have a fraction ("0.5r/s") and must
// be positive; the result, in requests per second, must be finite and at
// least one request per 1000 hours.
func ParseRate(s string) (Rate, error) {
	num, unit, ok := strings.Cut(s, "r/")
	if !ok {
		return Rate{}, fmt.Errorf("rate %q: want <n>r/s, <n>r/m or <n>r/h", s)
	}
	var per time.Duration
	switch unit {
	case "s":
		per = time.Second
	case "m":
		per = time.Minute
	case "h":
		per = time.Hour
	default:
		return Rate{}, fmt.Errorf("rate %q: unit must be r/s, r/m or r/h", s)
	}
	if num == "" || strings.ContainsAny(num, "+-eEnNiIxXpP_") {
		return Rate{}, fmt.Errorf("rate %q: count must be a positive decimal number", s)
	}
	n, err := strconv.ParseFloat(num, 64)
	if err != nil || n <= 0 || math.IsInf(n, 0) || math.IsNaN(n) {
		return Rate{}, fmt.Errorf("rate %q: count must be a positive decimal number", s)
	}
	r := Rate{Count: n, Per: per}
	if ps := r.PerSecond(); ps > 1e9 || ps < 1.0/(1000*3600) {
		return Rate{}, fmt.Errorf("rate %q: out of range", s)
	}
	return r, nil
}

// PerSecond returns the rate in requests per second.
func (r Rate) PerSecond() float64 {
	if r.Per <= 0 {
		return 0
	}
	return r.Count / r.Per.Seconds()
}

// Limit returns the rate as a rate.Limit.
func (r Rate) Limit() rate.Limit { return rate.Limit(r.PerSecond()) }

// String formats the rate the way ParseRate reads it.
func (r Rate) String() string {
	u := "s"
	switch r.Per {
	case time.Minute:
		u = "m"
	case time.Hour:
		u = "h"
	}
	return strconv.FormatFloat(r.Count, 'f', -1, 64) + "r/" + u
}

// Limit is the configuration of every bucket of a zone: the sustained rate
// and the bucket size (the number of requests allowed at once).
type Limit struct {
	Rate  Rate
	Burst int
}

// Interval is the time one token takes to come back.
func (l Limit) Interval() time.Duration {
	ps := l.Rate.PerSecond()
	if ps <= 0 {
		return 0
	}
	return time.Duration(float64(time.Second) / ps)
}

// FillTime is how long an empty bucket takes to become full again; a bucket
// untouched for that long is the same as a new one.
func (l Limit) FillTime() time.Duration {
	return time.Duration(float64(l.Burst) * float64(time.Second) / l.Rate.PerSecond())
}

// Decision is the outcome of taking one token from a bucket.
type Decision struct {
	// Allowed reports whether the request may pass.
	Allowed bool
	// Remaining is the number of whole tokens left after this request.
	Remaining int
	// RetryAfter, when not allowed, is the time until one token is back.
	RetryAfter time.Duration
	// Reset is the time until the bucket is full again.
	Reset time.Duration
}
