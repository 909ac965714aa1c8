package device

import (
	"bufio"
	"os"
	"strings"
	"testing"
)

type labelled struct {
	line int
	typ  string
	os   string
	ua   string
}

func readCorpus(t testing.TB) []labelled {
	t.Helper()
	f, err := os.Open("testdata/useragents.tsv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var rows []labelled
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		parts := strings.SplitN(line, "\t", 3)
		if len(parts) != 3 {
			t.Fatalf("testdata/useragents.tsv:%d: want type<TAB>os<TAB>ua", n)
		}
		if _, ok := ParseType(parts[0]); !ok {
			t.Fatalf("testdata/useragents.tsv:%d: unknown type %q", n, parts[0])
		}
		rows = append(rows, labelled{n, parts[0], parts[1], parts[2]})
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return rows
}

// TestCorpus classifies every labelled User-Agent, reports each miss, and
// fails when type accuracy drops below 97% or OS accuracy below 95%.
func TestCorpus(t *testing.T) {
	rows := readCorpus(t)
	if len(rows) < 150 {
		t.Fatalf("corpus has %d User-Agents, want at least 150", len(rows))
	}
	var typeMiss, osMiss int
	for _, r := range rows {
		got := Classify(r.ua, "", "")
		if got.Type.String() != r.typ {
			typeMiss++
			t.Logf("type miss (line %d): got %s, want %s: %s", r.line, got.Type, r.typ, r.ua)
		}
		if got.OS.String() != r.os {
			osMiss++
			t.Logf("os miss (line %d): got %s, want %s: %s", r.line, got.OS, r.os, r.ua)
		}
	}
	typeAcc := 100 * float64(len(rows)-typeMiss) / float64(len(rows))
	osAcc := 100 * float64(len(rows)-osMiss) / float64(len(rows))
	t.Logf("%d User-Agents: type accuracy %.1f%% (%d misses), OS accuracy %.1f%% (%d misses)",
		len(rows), typeAcc, typeMiss, osAcc, osMiss)
	if typeAcc < 97 {
		t.Errorf("type accuracy %.1f%% is below 97%%", typeAcc)
	}
	if osAcc < 95 {
		t.Errorf("OS accuracy %.1f%% is below 95%%", osAcc)
	}
}

func TestClientHints(t *testing.T) {
	const (
		desktopUA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36"
		phoneUA   = "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Mobile Safari/537.36"
		tabletUA  = "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36"
		botUA     = "Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X Build/MMB29P) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.6367.118 Mobile Safari/537.36 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
		tvUA      = "Mozilla/5.0 (Linux; Android 12.0; Build/STTL.240206.002) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/114.0.0.0 Safari/537.36 CrKey/1.56.500000 DeviceType/AndroidTV"
	)
	tests := []struct {
		name             string
		ua, mob, plat    string
		wantType, wantOS string
	}{
		{"mobile hint beats desktop UA", desktopUA, "?1", `"Android"`, "mobile", "android"},
		{"desktop hint beats phone UA", phoneUA, "?0", `"Windows"`, "desktop", "windows"},
		{"android not mobile is a tablet", phoneUA, "?0", `"Android"`, "tablet", "android"},
		{"hints alone, no UA", "", "?1", `"Android"`, "mobile", "android"},
		{"chrome os", "", "?0", `"Chrome OS"`, "desktop", "chromeos"},
		{"macOS", "", "?0", `"macOS"`, "desktop", "macos"},
		{"linux", "", "?0", `"Linux"`, "desktop", "linux"},
		{"spaces around hints", tabletUA, " ?1 ", ` "Android" `, "mobile", "android"},
		{"unknown platform falls back to UA", tabletUA, "?0", `"Unknown"`, "tablet", "android"},
		{"unquoted platform ignored", tabletUA, "?0", `Windows`, "tablet", "android"},
		{"malformed mobile hint ignored", tabletUA, "1", `"Android"`, "tablet", "android"},
		{"bot beats mobile hint", botUA, "?1", `"Android"`, "bot", "android"},
		{"tv beats hints", tvUA, "?0", `"Android"`, "tv", "android"},
		{"no input at all", "", "", "", "other", "other"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Classify(tt.ua, tt.mob, tt.plat)
			if got.Type.String() != tt.wantType || got.OS.String() != tt.wantOS {
				t.Fatalf("Classify = %s/%s, want %s/%s", got.Type, got.OS, tt.wantType, tt.wantOS)
			}
		})
	}
}

func TestBadInput(t *testing.T) {
	long := strings.Repeat("A", 10<<10)
	tests := []struct {
		name, ua, want string
	}{
		{"empty", "", "other"},
		{"garbage", "\x00\x01\x02\xff\xfe", "other"},
		{"invalid utf-8", "Mozilla/5.0 (\xc3\x28; Android 10; K) Mobile \xa0\xa1", "mobile"},
		{"10 KiB of letters", long, "other"},
		{"10 KiB after a real UA", "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) Mobile/15E148 " + long, "mobile"},
		{"bot token past the scanned prefix", long + " Googlebot/2.1", "other"},
		{"only spaces", "     ", "other"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Classify(tt.ua, tt.ua, tt.ua).Type.String(); got != tt.want {
				t.Fatalf("Classify = %s, want %s", got, tt.want)
			}
		})
	}
}

func TestNames(t *testing.T) {
	for _, n := range TypeNames() {
		typ, ok := ParseType(n)
		if !ok || typ.String() != n {
			t.Errorf("ParseType(%q) = %v, %v", n, typ, ok)
		}
	}
	if _, ok := ParseType("phone"); ok {
		t.Error("ParseType accepted an unknown class")
	}
	if Type(200).String() != "other" || OS(200).String() != "other" {
		t.Error("out-of-range values must print as other")
	}
}

func TestClassifyAllocs(t *testing.T) {
	for _, r := range readCorpus(t) {
		if n := testing.AllocsPerRun(10, func() { Classify(r.ua, "?0", `"Windows"`) }); n != 0 {
			t.Fatalf("Classify allocates %v times: %s", n, r.ua)
		}
	}
}

func FuzzClassify(f *testing.F) {
	f.Add("Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) Mobile/15E148", "", "")
	f.Add("", "?1", `"Android"`)
	f.Add("cubot bot", "?0", `"`)
	f.Fuzz(func(t *testing.T, ua, mob, plat string) {
		r := Classify(ua, mob, plat)
		if _, ok := ParseType(r.Type.String()); !ok || r.Type > Bot || r.OS > ChromeOS {
			t.Fatalf("Classify(%q, %q, %q) = %v", ua, mob, plat, r)
		}
	})
}

var sink Result

func BenchmarkClassify(b *testing.B) {
	cases := []struct{ name, ua, mob, plat string }{
		{"iphone", "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1", "", ""},
		{"android", "Mozilla/5.0 (Linux; Android 13; SM-S911N) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/24.0 Chrome/117.0.0.0 Mobile Safari/537.36", "", ""},
		{"windows_chrome_hints", "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36", "?0", `"Windows"`},
		{"googlebot", "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)", "", ""},
		{"kakaotalk", "Mozilla/5.0 (Linux; Android 13; SM-S908N Build/TP1A.220624.014; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/118.0.5993.111 Mobile Safari/537.36;KAKAOTALK 2410340", "", ""},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				sink = Classify(c.ua, c.mob, c.plat)
			}
		})
	}
	b.Run("corpus", func(b *testing.B) {
		rows := readCorpus(b)
		b.ReportAllocs()
		b.ResetTimer()
		i := 0
		for b.Loop() {
			sink = Classify(rows[i%len(rows)].ua, "", "")
			i++
		}
	})
}
