package waitingroom

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

// TestBuiltinPageFastPath renders random data through the built-in page's
// fast path and through html/template: the bytes must be the same.
func TestBuiltinPageFastPath(t *testing.T) {
	p, err := ParsePage("tickets", "")
	if err != nil {
		t.Fatal(err)
	}
	sites := []string{"shop.example.com", `a<b>&"c'+d`, "", "ü.example", "x\x00y"}
	for i := range 2000 {
		d := PageData{
			Room: "tickets", Site: sites[i%len(sites)], Status: "queued",
			Position: rand.IntN(100000), Ahead: rand.IntN(100000), Waiting: rand.IntN(1e6),
			WaitMin: rand.IntN(10000), WaitMax: rand.IntN(20000) - 1, Progress: rand.IntN(101), Refresh: rand.IntN(30) + 1,
			EventStart:  time.Unix(rand.Int64N(2e9), 0).In(time.FixedZone("x", 3600*rand.IntN(12))),
			BeforeStart: rand.IntN(2) == 0, Paused: rand.IntN(2) == 0, Random: rand.IntN(2) == 0,
			Full: rand.IntN(4) == 0, Unavailable: rand.IntN(4) == 0,
		}
		if i%3 == 0 {
			d.Ahead = rand.IntN(3)
		}
		d.AheadText = AheadText(d.Ahead)
		d.Wait = WaitText(d.WaitMin, d.WaitMax)
		d.HasWait = d.Wait != ""
		var fast, slow bytes.Buffer
		if err := p.Render(&fast, &d); err != nil {
			t.Fatal(err)
		}
		if err := p.tmpl.Execute(&slow, &d); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(fast.Bytes(), slow.Bytes()) {
			t.Fatalf("data %+v: fast path differs from the template:\n%s\n----\n%s", d, fast.String(), slow.String())
		}
	}
}

func TestBuiltinPageContent(t *testing.T) {
	p, err := ParsePage("tickets", "")
	if err != nil {
		t.Fatal(err)
	}
	d := PageData{Room: "tickets", Site: "shop.example.com", Status: "queued", Position: 12, Ahead: 11,
		AheadText: AheadText(11), Waiting: 40, Wait: WaitText(180, 300), WaitMin: 180, WaitMax: 300, HasWait: true, Progress: 40, Refresh: 17}
	var buf bytes.Buffer
	if err := p.Render(&buf, &d); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`<meta http-equiv="refresh" content="17">`, "<b>12</b>", "with 11 people ahead of you",
		"3–5 minutes", `<progress value="40" max="100">`, "shop.example.com",
	} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("page lacks %q:\n%s", want, buf.String())
		}
	}
}

func TestCustomPage(t *testing.T) {
	p, err := ParsePage("tickets", `<p>{{.Site}}: {{if gt .Ahead 10}}long{{else}}short{{end}} {{.Position}}</p>`)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := p.Render(&buf, &PageData{Site: "<x>", Ahead: 3, Position: 4}); err != nil {
		t.Fatal(err)
	}
	if got := buf.String(); got != "<p>&lt;x&gt;: short 4</p>" {
		t.Fatalf("custom page: %q", got)
	}
	if _, err := ParsePage("bad", `{{.Nope}}`); err == nil {
		t.Fatal("a template naming an unknown field was accepted")
	}
	if _, err := ParsePage("bad", `{{if}}`); err == nil {
		t.Fatal("a template that does not parse was accepted")
	}
}

func TestAppendJSON(t *testing.T) {
	start := time.Date(2026, 12, 24, 10, 0, 0, 0, time.FixedZone("", 9*3600))
	for _, tt := range []struct {
		in   JSON
		want map[string]any
	}{
		{JSON{Status: "queued", Position: 5, Ahead: 4, ETA: 90, RefreshSeconds: 20},
			map[string]any{"status": "queued", "position": 5.0, "ahead": 4.0, "eta_seconds": 90.0, "refresh_seconds": 20.0, "event_start": nil}},
		{JSON{Status: "queued", Ahead: -1, ETA: -1, RefreshSeconds: 3, EventStart: start},
			map[string]any{"status": "queued", "position": nil, "ahead": nil, "eta_seconds": nil, "refresh_seconds": 3.0, "event_start": "2026-12-24T10:00:00+09:00"}},
	} {
		b := AppendJSON(nil, &tt.in)
		var got map[string]any
		if err := json.Unmarshal(b, &got); err != nil {
			t.Fatalf("%s: %v", b, err)
		}
		if len(got) != len(tt.want) {
			t.Fatalf("%s: want the fields %v", b, tt.want)
		}
		for k, v := range tt.want {
			if got[k] != v {
				t.Errorf("%s: %s = %v, want %v", b, k, got[k], v)
			}
		}
	}
}

func TestWaitText(t *testing.T) {
	for _, tt := range []struct {
		lo, hi int
		want   string
	}{
		{-1, -1, ""}, {0, 30, "less than a minute"}, {50, 70, "1–2 minutes"}, {100, 110, "about 2 minutes"}, {40, 60, "about a minute"},
		{180, 300, "3–5 minutes"}, {7200, 9000, "2–3 hours"}, {10000, 10500, "about 3 hours"},
	} {
		if got := WaitText(tt.lo, tt.hi); got != tt.want {
			t.Errorf("WaitText(%d, %d) = %q, want %q", tt.lo, tt.hi, got, tt.want)
		}
	}
}

// TestEstimateNeverUpWhileMoving feeds Estimate a line that moves unevenly
// while the measured rate swings: the range shown never goes up, and it
// comes down as the line moves.
func TestEstimateNeverUpWhileMoving(t *testing.T) {
	sh := NoShown
	now := int64(1_800_000_000_000)
	pos := 200
	first := -1
	moved := now
	for step := range 300 {
		now += 5000
		if rand.IntN(2) == 0 && pos > 1 {
			pos -= 1 + rand.IntN(3)
			pos = max(pos, 1)
			moved = now
		}
		d := Decision{Outcome: Queued, Now: now, Position: pos, AdmittedLastMinute: 1 + rand.IntN(60), Window: 60000}
		next := Estimate(&d, sh, false, 20*time.Second)
		if next.Hi < 0 || next.Lo < 0 || next.Lo > next.Hi {
			t.Fatalf("step %d: range %d-%d", step, next.Lo, next.Hi)
		}
		if sh.Hi >= 0 && now-moved < movingFor.Milliseconds() && (next.Hi > sh.Hi || next.Lo > sh.Lo) {
			t.Fatalf("step %d: the estimate went up from %d-%d to %d-%d while the line moves", step, sh.Lo, sh.Hi, next.Lo, next.Hi)
		}
		if first < 0 {
			first = next.Hi
			if next.FirstAhead != pos-1 {
				t.Fatalf("first ahead %d, want %d", next.FirstAhead, pos-1)
			}
		}
		sh = next
	}
	if sh.Hi >= first {
		t.Fatalf("the estimate did not come down: %d at first, %d at the end", first, sh.Hi)
	}
	if Progress(sh) <= 5 {
		t.Fatalf("progress from %d ahead to %d: %d%%", sh.FirstAhead, sh.Ahead, Progress(sh))
	}
}

func TestEstimateUnknownAndStalled(t *testing.T) {
	d := Decision{Outcome: Queued, Now: 1000, Position: 3}
	if sh := Estimate(&d, NoShown, false, time.Second); sh.Hi != -1 || sh.Ahead != 2 || sh.FirstAhead != 2 {
		t.Fatalf("no admission measured yet: %+v, want an unknown wait", sh)
	}
	d.AdmittedLastMinute, d.Window = 6, 60000 // one every 10 s
	sh := Estimate(&d, NoShown, false, 0)
	if sh.Lo != 22 || sh.Hi != 38 {
		t.Fatalf("3rd in line at 0.1/s: %d-%d s, want 22-38 (30 s ±25%%)", sh.Lo, sh.Hi)
	}
	// The line has stood still for over a minute and the rate dropped: the
	// estimate may go up.
	d.Now += 61000
	d.AdmittedLastMinute = 3
	if later := Estimate(&d, sh, false, 0); later.Hi <= sh.Hi {
		t.Fatalf("stalled line: %+v after %+v, want a longer wait", later, sh)
	}
	d.Paused = true
	if p := Estimate(&d, sh, false, 0); p.Hi != -1 {
		t.Fatalf("paused: %+v, want an unknown wait", p)
	}
	r := Decision{Outcome: Queued, Now: 1000, Waiting: 100, AdmittedLastMinute: 60, Window: 60000}
	if sh := Estimate(&r, NoShown, true, 0); sh.Lo != 28 || sh.Hi != 139 {
		t.Fatalf("lottery among 100 at 1/s: %d-%d, want 28-139 (25%% and 75%% chances)", sh.Lo, sh.Hi)
	}
}

func BenchmarkBuiltinPage(b *testing.B) {
	p, err := ParsePage("tickets", "")
	if err != nil {
		b.Fatal(err)
	}
	d := PageData{Room: "tickets", Site: "shop.example.com", Status: "queued", Position: 1234, Ahead: 1233,
		AheadText: AheadText(1233), Waiting: 5000, Wait: WaitText(180, 300), HasWait: true, Progress: 40, Refresh: 17}
	var buf bytes.Buffer
	b.ReportAllocs()
	for b.Loop() {
		buf.Reset()
		if err := p.Render(&buf, &d); err != nil {
			b.Fatal(err)
		}
	}
}
