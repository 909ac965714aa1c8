package waitingroom

import (
	"math"
	"strconv"
	"time"
)

// movingFor is how long after the line last moved the estimate is still
// held to what was shown: past it, a line that stands still may show a
// longer wait.
const movingFor = 60 * time.Second

// minRateWindow keeps the first admissions (a burst at the opening) from
// reading as a very high rate.
const minRateWindow = 5000 // ms

// Estimate returns what the queue page shows after decision d, given what
// it showed before (prev): the people ahead, and the estimated wait as a
// range in seconds, people ahead ÷ the measured admission rate (a lottery:
// the times by which a visitor has a 25% and a 75% chance to be drawn),
// never higher than the last range shown while the line moves.
func Estimate(d *Decision, prev Shown, random bool, refresh time.Duration) Shown {
	next := Shown{FirstAhead: prev.FirstAhead, Ahead: -1, Lo: -1, Hi: -1, Moved: prev.Moved}
	if d.Position > 0 {
		next.Ahead = d.Position - 1
		if next.FirstAhead < 0 {
			next.FirstAhead = next.Ahead
		}
	}
	rate := 0.0 // admissions per second
	if d.AdmittedLastMinute > 0 && d.Window > 0 {
		rate = float64(d.AdmittedLastMinute) / (float64(max(d.Window, minRateWindow)) / 1000)
	}
	switch {
	case next.Moved == 0:
		next.Moved = d.Now // joining counts as the line moving
	case !random && next.Ahead >= 0 && prev.Ahead >= 0 && next.Ahead < prev.Ahead:
		next.Moved = d.Now
	case random && rate > 0:
		next.Moved = d.Now
	}
	if rate <= 0 || d.Paused || d.BeforeStart || d.Outcome != Queued {
		return next
	}
	var lo, hi float64
	switch {
	case !random && next.Ahead >= 0:
		mid := float64(next.Ahead+1) / rate
		lo, hi = mid*0.75, mid*1.25+refresh.Seconds()
	case random && d.Waiting > 0:
		w := float64(d.Waiting)
		lo, hi = w*math.Log(4.0/3)/rate, w*math.Log(4)/rate+refresh.Seconds()
	default:
		return next
	}
	next.Lo = int(math.Min(math.Floor(lo), 1e9))
	next.Hi = int(math.Min(math.Ceil(hi), 1e9))
	if prev.Hi >= 0 && d.Now-next.Moved < movingFor.Milliseconds() {
		next.Hi = min(next.Hi, prev.Hi)
		if prev.Lo >= 0 {
			next.Lo = min(next.Lo, prev.Lo)
		}
	}
	next.Lo = min(next.Lo, next.Hi)
	return next
}

// Progress is the share of the way through the line, in percent (5-95
// while waiting).
func Progress(sh Shown) int {
	switch {
	case sh.Ahead < 0 || sh.FirstAhead < 0:
		return 0
	case sh.FirstAhead == 0:
		return 95
	}
	p := 5 + 90*(sh.FirstAhead-min(sh.Ahead, sh.FirstAhead))/sh.FirstAhead
	return min(max(p, 5), 95)
}

// WaitText words a range of seconds: "less than a minute", "about 4
// minutes", "3–6 minutes", "about 2 hours"; empty when unknown.
func WaitText(lo, hi int) string { return string(AppendWaitText(nil, lo, hi)) }

// AppendWaitText appends WaitText(lo, hi) to dst.
func AppendWaitText(dst []byte, lo, hi int) []byte {
	if hi < 0 {
		return dst
	}
	if hi < 60 {
		return append(dst, "less than a minute"...)
	}
	unit, l, h := " minutes", max((lo+30)/60, 1), (hi+59)/60
	if hi >= 2*3600 {
		unit, l, h = " hours", max((lo+1800)/3600, 1), (hi+3599)/3600
	}
	if l >= h {
		if h == 1 {
			return append(dst, "about a minute"...)
		}
		dst = append(dst, "about "...)
		dst = strconv.AppendInt(dst, int64(h), 10)
		return append(dst, unit...)
	}
	dst = strconv.AppendInt(dst, int64(l), 10)
	dst = append(dst, "–"...)
	dst = strconv.AppendInt(dst, int64(h), 10)
	return append(dst, unit...)
}
