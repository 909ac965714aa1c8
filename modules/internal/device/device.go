// Package device classifies the device behind an HTTP request from its
// User-Agent Client Hints (Sec-CH-UA-Mobile, Sec-CH-UA-Platform,
// Sec-CH-UA-Form-Factors, Sec-CH-UA-Model) and its User-Agent. It is a small
// token classifier: no regular expressions, no allocations, a few hundred
// nanoseconds for the User-Agents of real traffic.
//
// Precedence:
//  1. Automated clients are Bot whatever else they claim (a Googlebot
//     smartphone User-Agent is a Bot): crawlers and fetchers ("bot",
//     "crawl", "spider", a contact URL or address), monitoring and uptime
//     checkers, feed readers, headless browsers, HTTP libraries and
//     command-line tools. A library token in an app's User-Agent that names
//     a phone, tablet or TV ("MyApp/2 (Android 13; SM-S911B) okhttp/4") is
//     that device, not a bot.
//  2. TVs, set-top boxes, streaming sticks and game consoles (home and
//     handheld) are TV.
//  3. Sec-CH-UA-Form-Factors, when sent, decides tablet, mobile or desktop.
//  4. A known tablet (iPad, Galaxy Tab, Fire, MediaPad, Lenovo Tab, ...) is
//     Tablet, in the User-Agent or in Sec-CH-UA-Model, even when the
//     User-Agent or Sec-CH-UA-Mobile says "mobile".
//  5. Sec-CH-UA-Mobile: ?1 is Mobile; ?0 with platform Android is Tablet,
//     with a desktop platform Desktop.
//  6. The User-Agent: "Mobile", phones and feature phones are Mobile; an
//     Android browser without "Mobile" is Tablet, an Android app client
//     (Dalvik and others) Mobile; iOS app clients (CFNetwork/Darwin) are
//     Mobile, macOS ones (Darwin with a Mac architecture) Desktop; any other
//     program on a desktop OS (Windows, macOS, Linux, ChromeOS, the BSDs,
//     Haiku, AmigaOS...) is Desktop.
//  7. Anything else (empty, garbage, an unknown name) is Other.
package device

import (
	"strings"
	"unsafe"
)

// Type is a device class.
type Type uint8

// The device classes. Bot is any automated client, HTTP libraries and
// command-line tools included; Other is anything that is not recognisably one
// of the others: empty, garbage or unknown User-Agents.
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

// Hints are the User-Agent Client Hint header values of a request, as sent
// (the first field line of each); any of them may be empty.
type Hints struct {
	// Mobile is Sec-CH-UA-Mobile: "?1" or "?0".
	Mobile string
	// Platform is Sec-CH-UA-Platform, an sf-string such as "\"Android\"".
	Platform string
	// FormFactors is Sec-CH-UA-Form-Factors, an sf-list of sf-strings such
	// as "\"Tablet\"" or "\"Desktop\", \"XR\"".
	FormFactors string
	// Model is Sec-CH-UA-Model, an sf-string such as "\"SM-X700\"".
	Model string
}

// MaxScan is how many leading bytes of a User-Agent (or of a hint) are
// examined. Real User-Agents are far shorter; the limit bounds the work a
// hostile one costs.
const MaxScan = 1024

// Classify returns the device class and OS of a request with the given
// User-Agent and Client Hints. Any input, however malformed, yields a Result.
func Classify(userAgent string, h Hints) Result {
	f := scan(userAgent)
	if h.Model != "" {
		f |= scan(h.Model) & (fTablet | fTV)
	}

	var r Result
	r.OS = f.os()
	hintOS, hintOK := osFromPlatform(h.Platform)
	if hintOK {
		r.OS = hintOS
	}

	switch {
	case f&fBot != 0, f&fLib != 0 && f&(fDevice|fTextBrowser) == 0:
		r.Type = Bot
		return r
	case f&fTV != 0:
		r.Type = TV
		return r
	}

	switch ff := formFactors(h.FormFactors); {
	case ff&ffTablet != 0:
		r.Type = Tablet
		return r
	case ff&ffMobile != 0:
		r.Type = Mobile
		return r
	case ff&ffDesktop != 0:
		r.Type = Desktop
		return r
	}

	if f&fTablet != 0 {
		r.Type = Tablet
		return r
	}

	switch trimSpace(h.Mobile) {
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
	case f&(fMobile|fIOS) != 0:
		r.Type = Mobile
	case f&fAndroid != 0:
		// Android browsers on phones say "Mobile"; on tablets they do not.
		// App clients (Dalvik, okhttp-based apps...) never say it, and most
		// of them run on phones.
		if f&fSafari != 0 && f&fDalvik == 0 {
			r.Type = Tablet
		} else {
			r.Type = Mobile
		}
	case f&fSamsungLinux == fSamsungLinux:
		r.Type = Tablet // Samsung Internet's desktop mode on a Galaxy Tab
	case f&fDarwin != 0 && f&(fMac|fMacArch) == 0 && f&(fWindows|fLinux|fCrOS) == 0:
		r.Type = Mobile // an iOS app's CFNetwork client
	case f&fFeature != 0:
		r.Type = Mobile
	case f&(fWindows|fMac|fMacArch|fLinux|fCrOS|fDesktopOS|fMSWeak|fTextBrowser) != 0:
		r.Type = Desktop
	case f&fCompatible != 0 && f&fMSIE == 0:
		// "Mozilla/5.0 (compatible; Name/1.0)" with no platform at all:
		// browsers that say "compatible" name their OS; tools do not.
		r.Type = Bot
	}
	return r
}

// flags are the facts found in a User-Agent.
type flags uint64

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
	fLib         // an HTTP library or command-line tool
	fFeature     // a feature phone's platform or browser
	fDalvik      // Android's own HTTP client: an app, not a browser
	fSafari      // a WebKit/Blink browser's "Safari" token
	fDarwin      // CFNetwork or Darwin: an Apple app's HTTP client
	fMacArch     // x86_64, arm64 or i386: with Darwin, a Mac
	fDesktopOS   // a desktop OS outside the OS list (BSD, Haiku, AmigaOS...)
	fMSWeak      // Microsoft software that does not name Windows
	fTextBrowser // Lynx, Links, ELinks, w3m
	fCompatible
	fMSIE
	fSamsungBrowser

	// fDevice is what names a phone, tablet or TV: a library token beside it
	// is an app's HTTP client on that device.
	fDevice = fTV | fTablet | fMobile | fWinPhone | fIOS | fIPad | fAppleTV | fAndroid | fFeature | fDalvik
	// fSamsungLinux is Samsung Internet with a Linux desktop User-Agent.
	fSamsungLinux = fSamsungBrowser | fLinux
)

// os resolves the OS facts: an iPhone User-Agent also says "Mac OS X", a
// Windows Phone one also says "Android", an Android one also says "Linux".
func (f flags) os() OS {
	switch {
	case f&fWinPhone != 0:
		return Windows
	case f&fIPad != 0:
		return IPadOS
	case f&fIOS != 0:
		return IOS
	case f&fAppleTV != 0:
		return OSOther
	case f&fCrOS != 0:
		return ChromeOS
	case f&fAndroid != 0:
		return Android
	case f&fWindows != 0:
		return Windows
	case f&(fMac|fMacArch) == fMacArch && f&fDarwin != 0, f&fMac != 0:
		return MacOS
	case f&fLinux != 0:
		return Linux
	case f&fDarwin != 0:
		return IOS
	case f&fMSWeak != 0:
		return Windows
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
		c := ua[i]
		if !wordByte[c] {
			if c == '@' && i > 0 && wordByte[ua[i-1]] && isAddress(ua[i+1:]) {
				f |= fBot // a contact address: name@example.com
			}
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

		if c := w[0]; '0' <= c && c <= '9' {
			f |= numberFacts(w, prev)
			prev = "" // version numbers say nothing more
			continue
		}
		f |= wordFacts(w, prev)
		f |= pairFacts(w, prev)
		if (w == "http" || w == "https") && strings.HasPrefix(ua[i:], "://") {
			f |= fBot // a URL: a crawler's contact page; browsers never send one
		}
		if start > 0 && ua[start-1] == '+' && strings.HasPrefix(w, "http") {
			f |= fBot // "(compatible; Name/1.0; +http://...)": a crawler's contact URL
		}
		if isModelCode(orig, "AFT") {
			f |= fTV // Fire TV: AFTMM, AFTKA, AFTSS, AFTTIFF55...
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

// numberFacts returns the facts a word starting with a digit states, given
// the word before it.
func numberFacts(w, prev string) flags {
	switch {
	case strings.HasSuffix(w, "bot"), strings.HasSuffix(w, "spider"):
		return fBot // 360Spider, 80legs-style names
	case prev == "nexus" && (w == "7" || w == "9" || w == "10"):
		return fTablet
	case prev == "nexus" && w == "4", prev == "nexus" && w == "5", prev == "nexus" && w == "6":
		return fMobile
	case len(w) >= 9 && len(w) <= 11 && w[0] == '2' &&
		(strings.Contains(w, "rp") || strings.HasPrefix(w, "21051182") || strings.HasPrefix(w, "22081283")):
		return fTablet // Xiaomi Pad and Redmi Pad model numbers: 21051182G, 23073RPBFG
	}
	return 0
}

// pairFacts returns the facts stated by a word together with the word before
// it: model codes written with a hyphen (SM-T870, BAH3-W09) are two words.
func pairFacts(w, prev string) flags {
	switch prev {
	case "sm": // Samsung: SM-T, SM-P and SM-X are Galaxy Tabs
		if len(w) >= 4 && (w[0] == 't' || w[0] == 'p' || w[0] == 'x') && isDigit(w[1]) {
			return fTablet
		}
	case "gt": // GT-P (Galaxy Tab), GT-N5/N8 (Galaxy Note 8.0 and 10.1)
		if len(w) >= 4 && (w[0] == 'p' && isDigit(w[1]) || w[0] == 'n' && (w[1] == '5' || w[1] == '8')) {
			return fTablet
		}
	case "tb", "yt": // Lenovo Tab and Yoga Tab: TB-X606F, TB-J706F, YT-J706X
		if len(w) >= 4 && (w[0] == 'x' || w[0] == 'j' || w[0] == 'q' || w[0] == 'p') && isDigit(w[1]) {
			return fTablet
		}
	case "lg": // LG G Pad: LG-V500, LG-V410 (the V10...V60 phones are shorter)
		if len(w) == 4 && w[0] == 'v' && isDigit(w[1]) {
			return fTablet
		}
	case "go":
		if w == "http" {
			return fLib // Go-http-client
		}
	case "aws":
		if w == "sdk" {
			return fLib
		}
	case "rest":
		if w == "client" {
			return fLib
		}
	case "page":
		if w == "speed" {
			return fBot // Google Page Speed Insights
		}
	case "apple":
		if w == "pubsub" {
			return fBot
		}
	case "up":
		if w == "browser" || w == "link" {
			return fFeature // UP.Browser
		}
	case "ce":
		if w == "html" {
			return fTV // CE-HTML, the TV browser profile
		}
	case "windows":
		if w == "ce" {
			return fMobile
		}
	case "sph":
		if strings.HasPrefix(w, "p1") {
			return fTablet // Galaxy Tab on Sprint: SPH-P100
		}
	case "shw":
		if strings.HasPrefix(w, "m180") || strings.HasPrefix(w, "m380") || strings.HasPrefix(w, "m480") || strings.HasPrefix(w, "m500") {
			return fTablet // Galaxy Tab in Korea: SHW-M380S
		}
	case "m":
		if strings.HasPrefix(w, "mp7") || strings.HasPrefix(w, "mp8") || strings.HasPrefix(w, "mp1") {
			return fTablet // Mediacom SmartPad: M-MP722M
		}
	case "nexus":
		if w == "player" {
			return fTV
		}
	case "pixel":
		if w == "c" || w == "tablet" {
			return fTablet
		}
	case "opera":
		if w == "tv" {
			return fTV
		}
	}
	if len(w) >= 3 && (w[0] == 'w' || w[0] == 'l' || w[0] == 'a') && isDigit(w[len(w)-1]) && huaweiTablet(stripDigits(prev)) {
		return fTablet // Huawei and Honor tablets: BAH3-W09, AGS2-L09, DBY-W09, KOB2-AL00
	}
	return 0
}

// huaweiTablet reports whether s (digits stripped) starts a Huawei or Honor
// tablet model code.
func huaweiTablet(s string) bool {
	switch s {
	case "bah", "ags", "agr", "agm", "kob", "cmr", "scm", "btv", "jdn", "dby", "bzt", "krj", "mrx", "bg", "wgr", "hey", "eln":
		return true
	}
	return false
}

// wordFacts returns the facts one lowercase word states, given the word
// before it.
func wordFacts(w, prev string) flags {
	switch w {
	case "x11":
		return fLinux
	case "x86_64", "arm64", "i386", "intel64":
		return fMacArch
	case "s60", "s40":
		return fFeature // Nokia Series 60 and 40
	}
	s := stripDigits(w) // iPad13  AppleTV11  SmartTV2020  MIBOX4  Win95
	switch s {
	case "mobile", "iemobile", "blackberry", "bb", "kaios", "mobi", "wpdesktop",
		"webos", "maemo", "meego", "sailfish", "palm", "fennec":
		return fMobile
	case "mini":
		if prev == "opera" {
			return fMobile
		}
	case "iphone", "ipod":
		return fIOS | fMobile
	case "ios", "watchos":
		return fIOS
	case "ipad", "ipados":
		return fIPad | fTablet
	case "kindle", "silk", "playbook", "tablet", "xoom", "nook", "bntv", "bnrv", "kobo",
		"mediapad", "matepad", "ideatab", "touchpad", "smartpad", "onepad", "viewpad",
		"nettab", "surftab", "freetab", "lifetab", "apad", "tab", "pad", "mid", "pmid", "odys",
		"nextbook", "flyer", "epade", "smarttab":
		return fTablet
	case "android":
		return fAndroid
	case "dalvik":
		return fDalvik
	case "cros":
		return fCrOS
	case "windows", "win", "winnt", "win9x", "windowsnt", "cygwin_nt":
		return fWindows
	case "phone":
		if prev == "windows" {
			return fWinPhone | fMobile
		}
	case "macintosh", "macos", "osx", "macbook", "macbookpro", "macbookair", "imac", "macmini", "macpro", "mac_powerpc", "mac_ppc":
		return fMac
	case "os":
		if prev == "mac" {
			return fMac
		}
	case "cfnetwork", "darwin", "darwin_i":
		return fDarwin
	case "linux", "ubuntu", "fedora", "tizen", "debian", "centos", "gentoo", "mint", "kubuntu", "suse", "opensuse", "archlinux", "manjaro", "mandriva":
		return fLinux
	case "freebsd", "openbsd", "netbsd", "dragonfly", "sunos", "solaris", "haiku", "beos", "amiga", "amigaos",
		"morphos", "aros", "riscos", "irix", "aix", "syllable", "inferno", "unix", "os2", "warp":
		return fDesktopOS
	case "microsoft", "msoffice":
		return fMSWeak
	case "lynx", "links", "elinks", "w3m":
		return fTextBrowser
	case "compatible":
		return fCompatible
	case "msie", "trident", "konqueror":
		return fMSIE
	case "safari":
		return fSafari
	case "samsungbrowser":
		return fSamsungBrowser

	// Feature phones and their browsers.
	case "midp", "cldc", "symbian", "symbianos", "series", "nokia", "sonyericsson", "obigo",
		"obigointernetbrowser", "ucweb", "j2me", "teleca", "polaris", "dolfin", "bada", "brew",
		"docomo", "kddi", "softbank", "vodafone", "willcom", "portalmmm", "mot", "sie", "lge",
		"sgh", "sch", "alcatel", "htc", "opwv", "openwave", "netfront", "jasmine", "lg", "samsung",
		"jig", "ddipocket", "kyocera":
		return fFeature

	case "tv", "smarttv", "smart_tv", "hbbtv", "netcast", "web0s", "googletv", "androidtv",
		"roku", "crkey", "chromecast", "bravia", "philipstv", "nettv", "vidaa", "viera", "mibox", "mitv",
		"playstation", "xbox", "nintendo", "wii", "wiiu", "psp", "inettvbrowser", "dtv", "sonydtv",
		"kreatv", "omi", "vstvb", "espial", "opentv", "tsbnettv", "netrange", "maple", "smarthub",
		"aquosbrowser", "aquos", "foxxum", "humax", "technisat", "loewe", "vestel", "tpvision", "grundig",
		"arcelik", "freebox", "dreambox", "enigma", "stb", "stbapp", "kstb", "mag", "dune", "formuler",
		"mips", "mipsel", "sh4", "directfb", "firetv", "shield", "tvbox", "ps3application":
		return fTV
	case "appletv", "tvos":
		return fTV | fAppleTV
	case "screen":
		if prev == "large" {
			return fTV
		}

	// HTTP libraries and command-line tools: automated unless they run in an
	// app that names its device.
	case "curl", "libcurl", "wget", "python", "aiohttp", "httpx", "urllib", "okhttp", "java", "jakarta",
		"httpclient", "libwww", "perl", "lwp", "php", "guzzlehttp", "guzzle", "ruby", "faraday",
		"httparty", "node", "undici", "axios", "postmanruntime", "insomnia", "httpie", "dart",
		"reqwest", "restsharp", "unirest", "superagent", "mechanize", "httrack", "grpc",
		"powershell", "windowspowershell", "cpprest", "libhttp", "winhttp", "synapse", "indy",
		"google", "docker", "gitlab", "hackney", "spray", "scalaj", "lua", "resty", "cli",
		"intellij", "servicestack", "twisted", "pear", "cakephp", "newspaper", "pcore",
		"whatsapp": // WhatsApp's link previews; its Android app names the device

		return fLib

	case "cubot": // a phone brand, not a crawler
		return 0
	case "yeti", "daum", "daumoa", "facebookexternalhit", "facebookcatalog", "slurp",
		"mediapartners", "inspectiontool", "googleother", "feedfetcher", "chatgpt",
		"bingpreview", "headlesschrome", "phantomjs", "lighthouse", "ia_archiver",
		"imgproxy", "scrap", "skypeuripreview", "embedly", "vkshare",
		"puppeteer", "playwright", "selenium", "webdriver", "slimerjs", "prerender", "rendertron",
		"ptst", "pagespeed", "gtmetrix", "pingdom", "statuscake", "site24x", "newrelicpinger",
		"datadog", "nagios", "zabbix", "freshping", "hetrixtools", "checkly", "uptime",
		"newsblur", "inoreader", "theoldreader", "netnewswire", "newsgator", "bloglines",
		"rss", "scrapy", "nutch", "heritrix", "nmap", "nikto", "masscan", "zgrab", "sqlmap",
		"nuclei", "wpscan", "boto", "botocore", "wordpress", "jetpack", "iframely", "outbrain",
		"googlehc", "kube", "healthcheck", "blackbox", "qwantify", "archive", "wayback",
		"findlinks", "linkcheck", "validator", "preview", "synthetics", "monitoring",
		"apis", "flipboardproxy", "flipboardrss",
		"ahrefs", "semrush", "majestic", "screaming", "sitebulb", "deepcrawl", "oncrawl",
		"netcraft", "censys", "shodan", "expanse", "internetmeasurement", "zoominfobot",
		"proximic", "grapeshot", "admantx", "mail_ru", "linguee", "cloudflare", "amazonbot",
		"catchpoint", "gomezagent", "rigor", "dareboost", "openvas", "splash", "pageburst",
		"duplexweb", "transcoder", "wkhtmltopdf", "cypress", "apachebench", "monit", "prometheus",
		"openai", "clamav", "meltwater", "brandwatch", "integromat", "blogtrottr", "appengine",
		"applesyndication", "internetarchive", "siteimprove", "sitecheck", "monsido", "fuzz",
		"googleweblight", "ruxitsynthetic", "datadogsynthetics", "pingdomtms", "w3c_unicorn",
		"favicon", "scanning", "watchdog", "cron", "dcv", "certificate":
		return fBot
	}
	if botName(s) {
		return fBot // googlebot, bingbot, gptbot, ahrefsbot, bytespider, baiduspider...
	}
	return prefixFacts(w)
}

// botName reports whether s is named like an automated client: ...bot,
// ...spider, crawl..., ...fetcher, monitor..., feed..., headless...
func botName(s string) bool {
	if len(s) < 3 {
		return false
	}
	switch s[len(s)-1] {
	case 't':
		if strings.HasSuffix(s, "bot") {
			return true
		}
	case 'r':
		if strings.HasSuffix(s, "spider") || strings.HasSuffix(s, "crawler") || strings.HasSuffix(s, "fetcher") ||
			strings.HasSuffix(s, "scraper") || strings.HasSuffix(s, "checker") || strings.HasSuffix(s, "scanner") ||
			strings.HasSuffix(s, "archiver") || strings.HasSuffix(s, "indexer") || strings.HasSuffix(s, "downloader") ||
			strings.HasSuffix(s, "extractor") {
			return true
		}
	case 'w':
		if strings.HasSuffix(s, "preview") {
			return true
		}
	case 's':
		if strings.HasSuffix(s, "rss") {
			return true
		}
	}
	switch s[0] {
	case 'm':
		if strings.HasPrefix(s, "monitor") {
			return true
		}
	case 'f':
		if strings.HasPrefix(s, "feed") {
			return true
		}
	case 'r':
		if strings.HasPrefix(s, "rss") {
			return true
		}
	case 'h':
		if strings.HasPrefix(s, "headless") {
			return true
		}
	case 's':
		if strings.HasPrefix(s, "spider") {
			return true
		}
	}
	return len(s) >= 5 && (strings.Contains(s, "crawl") || strings.Contains(s, "linkcheck"))
}

// prefixFacts returns the facts of words known by how they start.
func prefixFacts(w string) flags {
	if len(w) < 3 {
		return 0
	}
	switch w[0] {
	case 'x', 'r', 's', 'p', 'h', 'm', 'a', 't', 'b', 'u', 'z', 'o', 'n', 'k', 'l', 'w', 'c', 'd':
	default:
		return 0
	}
	switch {
	case strings.HasPrefix(w, "xbox"), strings.HasPrefix(w, "roku"), strings.HasPrefix(w, "smarttv"),
		strings.HasPrefix(w, "pov_tv"), strings.HasPrefix(w, "x96"), strings.HasPrefix(w, "h96"),
		strings.HasPrefix(w, "mxq"), strings.HasPrefix(w, "a95x"), strings.HasPrefix(w, "tx3"),
		strings.HasPrefix(w, "tx6"), strings.HasPrefix(w, "tx9"), strings.HasPrefix(w, "tanix"),
		strings.HasPrefix(w, "mecool"), strings.HasPrefix(w, "beelink"), strings.HasPrefix(w, "ugoos"),
		strings.HasPrefix(w, "zidoo"), strings.HasPrefix(w, "mibox"), strings.HasPrefix(w, "mitv"),
		strings.HasPrefix(w, "aquos"), strings.HasPrefix(w, "sonydtv"), strings.HasPrefix(w, "playstation"):
		return fTV
	case strings.HasPrefix(w, "tab") && len(w) > 3 && isDigit(w[3]), // TAB260, Tab2A7
		strings.HasPrefix(w, "tb") && len(w) > 3 && isDigit(w[2]),  // Lenovo TB350FU
		strings.HasPrefix(w, "sgp") && len(w) > 3 && isDigit(w[3]), // Sony Xperia Tablet SGP311
		strings.HasPrefix(w, "opd2"), strings.HasPrefix(w, "rmp2"), // OnePlus Pad, Oppo Pad, Realme Pad
		strings.HasPrefix(w, "mid") && len(w) > 3 && isDigit(w[3]),
		strings.HasPrefix(w, "midc"), strings.HasPrefix(w, "nxm"), strings.HasPrefix(w, "pov_tab"),
		strings.HasPrefix(w, "novo"), strings.HasPrefix(w, "xoom"), strings.HasPrefix(w, "smarttab"), strings.HasPrefix(w, "pg41200"),
		len(w) == 4 && (strings.HasPrefix(w, "p00") || strings.HasPrefix(w, "p01") || strings.HasPrefix(w, "p02") ||
			strings.HasPrefix(w, "k00") || strings.HasPrefix(w, "k01")): // Asus ZenPad, MeMO Pad
		return fTablet
	case strings.HasPrefix(w, "nokia"), strings.HasPrefix(w, "sonyericsson"), strings.HasPrefix(w, "obigo"),
		strings.HasPrefix(w, "ucweb"), strings.HasPrefix(w, "ucbrowser"), strings.HasPrefix(w, "symbian"),
		strings.HasPrefix(w, "series40"), strings.HasPrefix(w, "series60"), strings.HasPrefix(w, "lgu"),
		strings.HasPrefix(w, "lg") && len(w) > 2 && isDigit(w[2]), strings.HasPrefix(w, "wap"),
		strings.HasPrefix(w, "alcatel"), strings.HasPrefix(w, "samsung_sgh"), strings.HasPrefix(w, "htc_"),
		strings.HasPrefix(w, "lg") && len(w) >= 5:
		return fFeature
	case strings.HasPrefix(w, "cygwin"):
		return fWindows
	case strings.HasPrefix(w, "mac_"):
		return fMac
	case strings.HasPrefix(w, "darwin"):
		return fDarwin
	}
	return 0
}

func stripDigits(w string) string {
	for len(w) > 0 && isDigit(w[len(w)-1]) {
		w = w[:len(w)-1]
	}
	return w
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// isAddress reports whether s starts with a mail domain: letters, digits
// and hyphens, a dot, a letter.
func isAddress(s string) bool {
	j := 0
	for j < len(s) && (wordByte[s[j]] || s[j] == '-') {
		j++
	}
	return j > 0 && isLetter(s[0]) && j+1 < len(s) && s[j] == '.' && isLetter(s[j+1])
}

func isLetter(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }

// isModelCode reports whether word is an upper-case device model code
// starting with prefix (4 to 9 capital letters and digits, a letter first
// after the prefix).
func isModelCode(word, prefix string) bool {
	if len(word) < 4 || len(word) > 9 || !strings.HasPrefix(word, prefix) {
		return false
	}
	if c := word[len(prefix)]; c < 'A' || c > 'Z' {
		return false
	}
	for i := len(prefix) + 1; i < len(word); i++ {
		if c := word[i]; (c < 'A' || c > 'Z') && !isDigit(c) {
			return false
		}
	}
	return true
}

func hasSuffixFold(s, suffix string) bool {
	return len(s) >= len(suffix) && strings.EqualFold(s[len(s)-len(suffix):], suffix)
}

// Form factors named by Sec-CH-UA-Form-Factors.
const (
	ffDesktop = 1 << iota
	ffMobile
	ffTablet
)

// formFactors reads a Sec-CH-UA-Form-Factors value: an sf-list of
// sf-strings ("Desktop", "Automotive", "Mobile", "Tablet", "XR", "EInk",
// "Watch"). An EInk reader counts as a tablet, a watch as mobile; XR and
// Automotive decide nothing. Members that are not well-formed strings are
// skipped; the list is read no further than MaxScan bytes.
func formFactors(h string) int {
	if len(h) > MaxScan {
		h = h[:MaxScan]
	}
	ff := 0
	for len(h) > 0 {
		h = trimSpace(h)
		end := strings.IndexByte(h, ',')
		if end < 0 {
			end = len(h)
		}
		m := trimSpace(h[:end])
		if p := strings.IndexByte(m, ';'); p >= 0 {
			m = trimSpace(m[:p]) // parameters say nothing here
		}
		if len(m) >= 2 && m[0] == '"' && m[len(m)-1] == '"' {
			switch v := m[1 : len(m)-1]; {
			case strings.EqualFold(v, "Tablet"), strings.EqualFold(v, "EInk"):
				ff |= ffTablet
			case strings.EqualFold(v, "Mobile"), strings.EqualFold(v, "Watch"):
				ff |= ffMobile
			case strings.EqualFold(v, "Desktop"):
				ff |= ffDesktop
			}
		}
		if end == len(h) {
			break
		}
		h = h[end+1:]
	}
	return ff
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
