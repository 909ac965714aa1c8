// Package device classifies the device behind an HTTP request from its
// User-Agent Client Hints (Sec-CH-UA-Mobile, Sec-CH-UA-Platform) and its
// User-Agent. It is a small token classifier: no regular expressions, no
// allocations, well under a microsecond for the User-Agents of real traffic.
//
// Precedence: a crawler is a Bot whatever else it claims (a Googlebot
// smartphone User-Agent is a Bot); a TV is a TV; then the Client Hints decide
// mobile, tablet or desktop when they are present and well formed; then the
// User-Agent does.
package device

import (
	"strings"
	"unsafe"
)

// Type is a device class.
type Type uint8

// The device classes. Other is anything that is not recognisably one of the
// others: HTTP libraries, command-line clients, empty or garbage User-Agents.
const (
	Other Type = iota
	Mobile
	Tablet
	Desktop
	TV
	Bot
)

var typeNames = [...]string{
	Other:   "other",
	Mobile:  "mobile",
	Tablet:  "tablet",
	Desktop: "desktop",
	TV:      "tv",
	Bot:     "bot",
}

// String returns the class name used in placeholders, headers, logs and
// metrics: mobile, tablet, desktop, tv, bot or other.
func (t Type) String() string {
	if int(t) < len(typeNames) {
		return typeNames[t]
	}
	return "other"
}

// ParseType returns the class named s (as String spells it).
func ParseType(s string) (Type, bool) {
	for i, n := range typeNames {
		if n == s {
			return Type(i), true
		}
	}
	return Other, false
}

// TypeNames lists every class name, in Type order.
func TypeNames() []string { return append([]string(nil), typeNames[:]...) }

// OS is an operating system family.
type OS uint8

// The operating system families.
const (
	OSOther OS = iota
	Android
	IOS
	IPadOS
	Windows
	MacOS
	Linux
	ChromeOS
)

var osNames = [...]string{
	OSOther:  "other",
	Android:  "android",
	IOS:      "ios",
	IPadOS:   "ipados",
	Windows:  "windows",
	MacOS:    "macos",
	Linux:    "linux",
	ChromeOS: "chromeos",
}

// String returns the OS name: android, ios, ipados, windows, macos, linux,
// chromeos or other.
func (o OS) String() string {
	if int(o) < len(osNames) {
		return osNames[o]
	}
	return "other"
}

// Result is the classification of one request.
type Result struct {
	Type Type
	OS   OS
}

// MaxScan is how many leading bytes of a User-Agent are examined. Real
// User-Agents are far shorter; the limit bounds the work a hostile one costs.
const MaxScan = 1024

// Classify returns the device class and OS of a request with the given
// User-Agent and Client Hint header values (mobileHint is Sec-CH-UA-Mobile,
// "?1" or "?0"; platformHint is Sec-CH-UA-Platform, a quoted string such as
// "\"Android\""). Any input, however malformed, yields a Result.
func Classify(userAgent, mobileHint, platformHint string) Result {
	f := scan(userAgent)

	var r Result
	r.OS = f.os()
	hintOS, hintOK := osFromPlatform(platformHint)
	if hintOK {
		r.OS = hintOS
	}

	switch {
	case f&fBot != 0:
		r.Type = Bot
		return r
	case f&fTV != 0:
		r.Type = TV
		return r
	}

	switch trimSpace(mobileHint) {
	case "?1":
		r.Type = Mobile
		return r
	case "?0":
		if hintOK {
			switch hintOS {
			case Android:
				r.Type = Tablet
				return r
			case Windows, MacOS, Linux, ChromeOS:
				r.Type = Desktop
				return r
			}
		}
	}

	switch {
	case f&fTablet != 0:
		r.Type = Tablet
	case f&fMobile != 0:
		r.Type = Mobile
	case f&fAndroid != 0:
		// Android browsers on phones say "Mobile"; on tablets they do not.
		r.Type = Tablet
	case f.os() != OSOther:
		r.Type = Desktop
	}
	return r
}

// flags are the facts found in a User-Agent.
type flags uint32

const (
	fBot flags = 1 << iota
	fTV
	fTablet
	fMobile
	fWinPhone
	fIOS
	fIPad
	fAppleTV
	fCrOS
	fAndroid
	fWindows
	fMac
	fLinux
)

// os resolves the OS facts: an iPhone User-Agent also says "Mac OS X", a
// Windows Phone one also says "Android", an Android one also says "Linux".
func (f flags) os() OS {
	switch {
	case f&fWinPhone != 0:
		return Windows
	case f&fIOS != 0:
		return IOS
	case f&fIPad != 0:
		return IPadOS
	case f&fAppleTV != 0:
		return OSOther
	case f&fCrOS != 0:
		return ChromeOS
	case f&fAndroid != 0:
		return Android
	case f&fWindows != 0:
		return Windows
	case f&fMac != 0:
		return MacOS
	case f&fLinux != 0:
		return Linux
	}
	return OSOther
}

// wordByte marks the bytes words are made of; everything else separates
// words.
var wordByte = func() (t [256]bool) {
	for c := '0'; c <= '9'; c++ {
		t[c] = true
	}
	for c := 'a'; c <= 'z'; c++ {
		t[c] = true
		t[c-'a'+'A'] = true
	}
	t['_'] = true
	return t
}()

// maxWord is the longest word looked up; longer words are only checked for
// the crawler suffixes.
const maxWord = 32

// scan reads ua word by word (case-insensitively) and collects its facts.
func scan(ua string) flags {
	if len(ua) > MaxScan {
		ua = ua[:MaxScan]
	}
	var (
		f    flags
		prev string // the previous word, lowercase
		buf  [2][maxWord]byte
		cur  int
	)
	for i := 0; i < len(ua); {
		if !wordByte[ua[i]] {
			i++
			continue
		}
		start := i
		b := &buf[cur]
		for i < len(ua) && wordByte[ua[i]] {
			if n := i - start; n < maxWord {
				c := ua[i]
				if 'A' <= c && c <= 'Z' {
					c += 'a' - 'A'
				}
				b[n] = c
			}
			i++
		}
		orig := ua[start:i]
		if c := orig[0]; '0' <= c && c <= '9' {
			prev = "" // version numbers say nothing
			continue
		}
		if len(orig) > maxWord {
			if hasSuffixFold(orig, "bot") || hasSuffixFold(orig, "spider") {
				f |= fBot
			}
			prev = ""
			continue
		}
		// w is a lowercase view of buf[cur]; buf[cur] is not written again
		// until w is no longer needed (it becomes prev for one word).
		w := unsafe.String(&b[0], len(orig))
		cur ^= 1

		f |= wordFacts(w, prev)
		if start > 0 && ua[start-1] == '+' && strings.HasPrefix(w, "http") {
			f |= fBot // "(compatible; Name/1.0; +http://...)": a crawler's contact URL
		}
		if isModelCode(orig, "AFT") {
			f |= fTV // Fire TV: AFTMM, AFTKA, AFTSS...
		}
		if isModelCode(orig, "KF") {
			f |= fTablet // Fire tablets: KFTRWI, KFMAWI...
		}
		if prev == "tablet" && w == "pc" {
			f &^= fTablet // "Tablet PC 2.0": a Windows laptop with a touch screen
		}
		prev = w
	}
	return f
}

// wordFacts returns the facts one lowercase word states, given the word
// before it.
func wordFacts(w, prev string) flags {
	if w == "x11" {
		return fLinux
	}
	s := w // without trailing digits: iPad13,1  AppleTV11,1  SmartTV2020  MIBOX4
	for len(s) > 0 && '0' <= s[len(s)-1] && s[len(s)-1] <= '9' {
		s = s[:len(s)-1]
	}
	switch s {
	case "mobile", "iemobile", "blackberry", "bb", "kaios":
		return fMobile
	case "mobi", "mini":
		if prev == "opera" {
			return fMobile
		}
	case "iphone", "ipod":
		return fIOS | fMobile
	case "ipad", "ipados":
		return fIPad | fTablet
	case "kindle", "silk", "playbook", "tablet":
		return fTablet
	case "android":
		return fAndroid
	case "cros":
		return fCrOS
	case "windows":
		return fWindows
	case "phone":
		if prev == "windows" {
			return fWinPhone | fMobile
		}
	case "macintosh":
		return fMac
	case "linux", "ubuntu", "fedora", "tizen":
		return fLinux

	case "tv", "smarttv", "smart_tv", "hbbtv", "netcast", "web0s", "googletv", "androidtv",
		"roku", "crkey", "bravia", "philipstv", "nettv", "vidaa", "viera", "mibox", "mitv",
		"playstation", "xbox", "nintendo":
		return fTV
	case "appletv", "tvos":
		return fTV | fAppleTV
	case "screen":
		if prev == "large" {
			return fTV
		}

	case "cubot": // a phone brand, not a crawler
		return 0
	case "yeti", "daum", "daumoa", "facebookexternalhit", "facebookcatalog", "slurp",
		"mediapartners", "inspectiontool", "googleother", "feedfetcher", "chatgpt",
		"bingpreview", "headlesschrome", "phantomjs", "lighthouse", "ia_archiver",
		"imgproxy", "whatsapp", "scrap", "skypeuripreview", "embedly", "vkshare":
		return fBot
	}
	if strings.HasSuffix(s, "bot") || strings.HasSuffix(s, "spider") ||
		strings.HasPrefix(s, "crawl") || strings.HasSuffix(s, "crawler") {
		return fBot // googlebot, bingbot, gptbot, ahrefsbot, bytespider, baiduspider...
	}
	return 0
}

// isModelCode reports whether word is an upper-case device model code
// starting with prefix (4 to 8 capital letters).
func isModelCode(word, prefix string) bool {
	if len(word) < 4 || len(word) > 8 || !strings.HasPrefix(word, prefix) {
		return false
	}
	for i := len(prefix); i < len(word); i++ {
		if c := word[i]; c < 'A' || c > 'Z' {
			return false
		}
	}
	return true
}

func hasSuffixFold(s, suffix string) bool {
	return len(s) >= len(suffix) && strings.EqualFold(s[len(s)-len(suffix):], suffix)
}

// osFromPlatform reads a Sec-CH-UA-Platform value (an sf-string such as
// "\"macOS\"").
func osFromPlatform(h string) (OS, bool) {
	h = trimSpace(h)
	if len(h) < 2 || h[0] != '"' || h[len(h)-1] != '"' {
		return OSOther, false
	}
	h = h[1 : len(h)-1]
	switch {
	case strings.EqualFold(h, "Android"):
		return Android, true
	case strings.EqualFold(h, "iOS"):
		return IOS, true
	case strings.EqualFold(h, "Windows"):
		return Windows, true
	case strings.EqualFold(h, "macOS"):
		return MacOS, true
	case strings.EqualFold(h, "Linux"):
		return Linux, true
	case strings.EqualFold(h, "Chrome OS"), strings.EqualFold(h, "ChromeOS"), strings.EqualFold(h, "Chromium OS"):
		return ChromeOS, true
	}
	return OSOther, false
}

func trimSpace(s string) string {
	for len(s) > 0 && (s[0] == ' ' || s[0] == '\t') {
		s = s[1:]
	}
	for len(s) > 0 && (s[len(s)-1] == ' ' || s[len(s)-1] == '\t') {
		s = s[:len(s)-1]
	}
	return s
}
