// Package device classifies the device behind an HTTP request from its
// User-Agent Client Hints (Sec-CH-UA-Mobile, Sec-CH-UA-Platform,
// Sec-CH-UA-Form-Factors, Sec-CH-UA-Model) and its User-Agent. It is a small
// word classifier: no regular expressions, no allocations, a few hundred
// nanoseconds for the User-Agents of real traffic. Each word of the
// User-Agent costs one probe of a hash table built at init (see words.go);
// only words the table does not know are read letter by letter, for the
// names automated clients give themselves.
//
// Precedence:
//  1. Automated clients are Bot whatever else they claim (a Googlebot
//     smartphone User-Agent is a Bot): names ending in "bot", or holding
//     "crawl", "spider", "scrap", "robot", "headless", "archiv", "validat";
//     a URL, host name or mail address; known crawlers, monitors, scanners
//     and headless browsers.
//  2. Weaker signs of automation make a Bot unless the User-Agent names a
//     phone, tablet or TV (then it is an app on that device, "MyApp/2
//     (Android 13; SM-S911B) okhttp/4"): HTTP libraries and command-line
//     tools, feed readers, and names holding "check", "monitor", "scan",
//     "fetch", "feed", "rss", "probe", "preview", "proxy", "uptime",
//     "download"...
//  3. TVs, set-top boxes, streaming sticks and game consoles (home and
//     handheld) are TV: their platforms and browsers (SmartTV, Tizen TV,
//     Web0S, NetCast, HbbTV, CE-HTML, Opera TV, OMI, Vewd, Hybridcast,
//     Andr0id), Android TV's own builds (Build/PTT1, QTG3, RTM6, STTL),
//     vendors and models (BRAVIA, Fire TV's AFT..., Chromecast, Roku, SHIELD
//     Android TV, Mi Box, Philips TPM...), the families of Android TV boxes
//     (MXQ, MXIII, MX9, M8S, H96, X96, Tanix TX2-TX9, KM8, V88, Minix NEO X,
//     MK808 sticks, X88, X92), the TV box processors of Amlogic (S905,
//     S912...), Rockchip (RK3318, RK3328) and Allwinner (H313, H616), IPTV
//     boxes (B860H, EC6108, HG680, CM201), Netbox, Mecool KM and other
//     vendors' boxes, Google TV players (NSZ-GS7), "Box",
//     "Stick", "Dongle" and "4K" in a device's name, names holding TVBox and
//     names ending in STB, Box or TV ("VirginMediaSTB", "MagicBox",
//     "LGwebOSTV"; an app named ...TV on a phone, Windows or a Mac stays
//     what it runs on), and a browser on Linux on ARM, MIPS or SH-4 or with
//     QtEmbedded, without X11, that names no other device ("Opera/9.80
//     (Linux armv7l) Presto/2.12").
//  4. Sec-CH-UA-Form-Factors, when sent, decides tablet, mobile or desktop.
//  5. A known tablet is Tablet, in the User-Agent or in Sec-CH-UA-Model,
//     even when the User-Agent or Sec-CH-UA-Mobile says "mobile": iPad,
//     Kindle and Silk, Fire (KF...), Galaxy Tab (SM-T/P/X, GT-P), Lenovo Tab
//     (TB-, YT-) and Lenovo's Wi-Fi and 3G variants (A3500-FL, B6000-HV),
//     Huawei and Honor codes (BAH3-W09, KOB2-AL00), Acer Iconia (A1-810,
//     B3-A30), Asus Transformer and MeMO Pad (ME173X), Prestigio MultiPad
//     (PMP5080B), iconBIT NetTAB (NT-1710), Alcatel and TCL tablet
//     numbers (9024W, 9137W), Lenovo IdeaTab codes (A2109, S6000), Toshiba
//     AT100, Irbis TZ, Onda, nabi, Nexus 7/9/10, Pixel C, docomo's and
//     au's tablet codes (d-42A, SC-01C, SOT31), Samsung's carrier Galaxy
//     Tabs (SCH-I800), Huawei's older MediaPads (T1-701u, M2-A01L), BQ and
//     teXet tablet numbers (BQ-1045G, TM-7021), Archos, Allview, Asus
//     ZenPad and Transformer codes, Lenovo Tab V7 (PB-6505M), onn., RCA,
//     vivo Pad and other vendors' tablet lines (see table.go),
//     e-readers, the words Tablet, Tab and Pad and names ending in
//     them ("HuaweiMediaPad", "EVOTAB", "GALAXY_Tab"; not Notepad, Coolpad
//     or an app named ...Pad), and Puffin's AT and IT version suffixes. A
//     Windows "Tablet PC" is Desktop, as is any Windows PC with a touch
//     screen.
//  6. Sec-CH-UA-Mobile: ?1 is Mobile; ?0 with platform Android is Tablet,
//     with a desktop platform Desktop.
//  7. The User-Agent: "Mobile", phones and feature phones are Mobile; an
//     Android browser without "Mobile" is Tablet, an Android app client
//     (Dalvik and others) Mobile; iOS app clients (CFNetwork/Darwin) are
//     Mobile, macOS ones (Darwin with a Mac architecture) Desktop; any other
//     program on a desktop OS (Windows, macOS, Linux, ChromeOS, the BSDs,
//     Haiku, AmigaOS...) is Desktop.
//  8. A User-Agent that names a program but no device and no OS is a Bot:
//     browsers and the apps people use say what they run on; crawlers,
//     scripts and tools ("Name/1.0", "Mozilla/5.0 (compatible; Name/1.0)")
//     do not.
//  9. Anything else (empty, garbage, control characters) is Other.
package device

import "strings"

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
	var name string // an Android device's name
	if f&fAndroid != 0 {
		name = androidDeviceName(head(userAgent))
		if f&fTV == 0 && tvDeviceName(name) {
			f |= fTV
		} else if f&(fTV|fTablet) == 0 && tabletDeviceName(name) {
			f |= fTablet
		}
	}
	if h.Model != "" {
		f |= scan(h.Model) & (fTablet | fTV)
		if f&fTV == 0 && tvDeviceName(trimQuotes(trimSpace(head(h.Model)))) {
			f |= fTV
		}
	}

	var r Result
	r.OS = f.os()
	hintOS, hintOK := osFromPlatform(h.Platform)
	if hintOK {
		r.OS = hintOS
	}

	switch {
	case f&fBot != 0, f&fAuto != 0 && f&(fDevice|fTextBrowser|fElectron) == 0:
		r.Type = Bot
		return r
	case f&fTV != 0,
		f&fTVName != 0 && f&(fHandheld|fWindows|fMac) == 0,
		f&(fEmbedded|fX11) == fEmbedded && f&(fDevice|fDesktopOS|fCrOS|fMac|fMacArch|fWindows|fMSWeak) == 0:
		r.Type = TV
		return r
	}

	if f&(fMobile|fTablet) == 0 && laptopName(name) {
		r.Type = Desktop // an Android app on a Chromebook, Android on a PC
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
	case f&(fWindows|fSoC|fX11) == fWindows|fSoC:
		// Windows on ARM that is not Windows Phone: Windows RT, which ran
		// only on tablets (Surface RT and 2, VivoTab RT): "(Windows NT
		// 6.2; ARM; Trident/6.0; Touch)". Windows on ARM PCs send x64.
		r.Type = Tablet
	case f&(fWindows|fMac|fMacArch|fLinux|fCrOS|fDesktopOS|fMSWeak|fTextBrowser) != 0:
		r.Type = Desktop
	case f&fName != 0 && printable(userAgent):
		// A named program that names no device and no OS: browsers and
		// apps people use say what they run on; crawlers, scripts and
		// tools ("Name/1.0", "Mozilla/5.0 (compatible; Name/1.0)") do not.
		// Control characters and stray bytes make it garbage instead.
		r.Type = Bot
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
	fAuto        // an HTTP library, command-line tool or feed reader: automated unless it names a device
	fFeature     // a feature phone's platform or browser
	fDalvik      // Android's own HTTP client: an app, not a browser
	fSafari      // a WebKit/Blink browser's "Safari" token
	fDarwin      // CFNetwork or Darwin: an Apple app's HTTP client
	fMacArch     // x86_64, arm64 or i386: with Darwin, a Mac
	fDesktopOS   // a desktop OS outside the OS list (BSD, Haiku, AmigaOS...)
	fMSWeak      // Microsoft software that does not name Windows
	fTextBrowser // Lynx, Links, ELinks, w3m
	fSamsungBrowser
	fName   // a word of two letters or more: the User-Agent names something
	fX11    // X11: a desktop's window system
	fSoC    // a processor of embedded devices (ARM, MIPS, SH-4) or QtEmbedded
	fTVName // a name ending in "tv" (LGwebOSTV, PANATV): a TV unless a phone, tablet, Windows or a Mac is named
	// fAndroidVersion is an Android version right after "Linux;" in a
	// User-Agent that does not say Android: it tells the OS, not the device.
	fAndroidVersion
	// fAndroidBuild is Android's "Build/<id>" (Build/JDQ39, Build/MASTER):
	// Android, unless Windows or a Mac is named.
	fAndroidBuild
	fSilk     // Amazon's Silk (also the name of the PlayStation Vita's browser)
	fElectron // an Electron app: a desktop program, whatever library or app name it also gives

	// fDevice is what names a phone, tablet or TV: a library token beside it
	// is an app's HTTP client on that device.
	fDevice = fTV | fTablet | fMobile | fWinPhone | fIOS | fIPad | fAppleTV | fAndroid | fFeature | fDalvik
	// fSamsungLinux is Samsung Internet with a Linux desktop User-Agent.
	fSamsungLinux = fSamsungBrowser | fLinux
	// fSamsungDesktop is its desktop mode's X11 User-Agent.
	fSamsungDesktop = fSamsungBrowser | fLinux | fX11
	fSilkDesktop    = fSilk | fLinux | fX11
	// fEmbedded is Linux on ARM, MIPS or SH-4, or with QtEmbedded, without
	// X11: a TV's or set-top box's browser ("Opera/9.80 (Linux armv7l)
	// Presto/2.12", "(DirectFB; Linux mips)", "(QtEmbedded; Linux)"), when
	// nothing else is named.
	fEmbedded = fLinux | fSoC
	// fApple names an Apple device or system.
	fApple = fIOS | fIPad | fMac | fMacArch | fDarwin
	// fHandheld names a phone or tablet: with it, fTVName is an app's name.
	fHandheld = fMobile | fIOS | fIPad | fTablet | fWinPhone | fFeature | fAndroid
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
	case f&(fAndroid|fAndroidVersion) != 0:
		return Android
	case f&fWindows != 0:
		return Windows
	case f&(fMac|fMacArch) == fMacArch && f&fDarwin != 0, f&fMac != 0:
		return MacOS
	case f&fAndroidBuild != 0, f&fSamsungDesktop == fSamsungDesktop, f&fSilkDesktop == fSilkDesktop:
		// An Android build id; the desktop mode ("X11; Linux x86_64") of
		// Samsung Internet and of Silk, which run on Android only.
		return Android
	case f&(fDesktopOS|fX11) == fDesktopOS|fX11:
		return OSOther // X11 on a BSD, Solaris, IRIX...: not Linux
	case f&fLinux != 0:
		return Linux
	case f&fDarwin != 0:
		return IOS
	case f&fMSWeak != 0:
		return Windows
	}
	return OSOther
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

// printable reports whether the first MaxScan bytes of s are printable
// ASCII.
func printable(s string) bool {
	if len(s) > MaxScan {
		s = s[:MaxScan]
	}
	for i := 0; i < len(s); i++ {
		if s[i] < ' ' || s[i] > '~' {
			return false
		}
	}
	return true
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

// trimQuotes removes the quotes of an sf-string ("ZC554KL").
func trimQuotes(s string) string {
	if len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' {
		return s[1 : len(s)-1]
	}
	return s
}

// head is the part of s that is read: its first MaxScan bytes.
func head(s string) string {
	if len(s) > MaxScan {
		return s[:MaxScan]
	}
	return s
}
