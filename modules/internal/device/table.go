package device

import (
	"encoding/binary"
	"math/bits"
	"strings"
	"unsafe"

	"github.com/frontdoor-gateway/frontdoor/modules/internal/ascii"
)

// maxWord is the longest word looked up. Longer words are only checked for
// the crawler suffixes.
const maxWord = 32

// entry is one word of the table. a and z are its first and second eight
// bytes (zero-padded), so that a word compares in two instructions; words
// longer than 16 bytes also compare the rest (longWords).
type entry struct {
	a, z uint64
	f    flags
	n    uint8 // length
	pair pairKind
	// kind marks words whose meaning depends on the bytes around them (see
	// special); 24 bytes in all.
	kind uint8
}

// The kinds of words special reads with what is around them.
const (
	kindNone       = iota
	kindTLD        // a top-level domain: example.com
	kindURL        // http, https, ftp: before "://"
	kindWWW        // www: before a dot
	kindWebKit     // AppleWebKit: starts a span of no facts
	kindKHTML      // KHTML: likewise
	kindCompatible // compatible: names the product after it
	kindText       // a text browser's name
	kindBox        // boxWords: a TV box or stick when it names a device
	kindLine       // a tablet line's name (Plane, Sero): a tablet when it names a device
	kindHandset    // handsetMakers: a phone's own browser when it starts the User-Agent with a model
	kindPCMaker    // pcMakers: likewise, with a model code that has a digit
	kindNamedTV    // namedTVs: a TV unless a phone's line follows after a space
)

const (
	tableBits = 11
	tableSize = 1 << tableBits
	maxWords  = 1024
)

// The word table: open addressing with linear probing. slots hold an index
// into entries plus one (0 is an empty slot). It is built once, from
// words.go, and only read afterwards.
var (
	entries   [maxWords]entry
	longWords [maxWords]string // the words of more than 16 bytes
	nwords    int
	slots     [tableSize]uint16
)

func init() {
	index := map[string]int{}
	add := func(w string) *entry {
		if i, ok := index[w]; ok {
			return &entries[i]
		}
		if len(w) > maxWord {
			panic("device: word longer than maxWord: " + w)
		}
		if nwords == maxWords {
			panic("device: word table too full")
		}
		index[w] = nwords
		entries[nwords] = entry{n: uint8(len(w))}
		if len(w) > 16 {
			longWords[nwords] = w
		}
		nwords++
		return &entries[nwords-1]
	}
	for _, g := range wordFacts {
		for _, w := range strings.Fields(g.words) {
			add(w).f |= g.f
		}
	}
	for _, g := range pairWords {
		for _, w := range strings.Fields(g.words) {
			add(w).pair = g.p
		}
	}
	for _, w := range strings.Fields(tldWords) {
		add(w).kind = kindTLD
	}
	for _, w := range strings.Fields(textBrowsers + " " + tabletLines + " " + handsetMakers + " " + pcMakers + " " + namedTVs) {
		add(w)
	}
	for w, i := range index {
		e := &entries[i]
		if len(w) >= 2 {
			e.f |= fName
		}
		switch {
		case w == "applewebkit":
			e.kind = kindWebKit
		case w == "khtml":
			e.kind = kindKHTML
		case w == "compatible":
			e.kind = kindCompatible
		case strings.Contains(" "+textBrowsers+" ", " "+w+" "):
			e.kind = kindText
		case strings.Contains(" "+boxWords+" ", " "+w+" "):
			e.kind = kindBox
		case strings.Contains(" "+tabletLines+" ", " "+w+" "):
			e.kind = kindLine
		case strings.Contains(" "+handsetMakers+" ", " "+w+" "):
			e.kind = kindHandset
		case strings.Contains(" "+pcMakers+" ", " "+w+" "):
			e.kind = kindPCMaker
		case strings.Contains(" "+namedTVs+" ", " "+w+" "):
			e.kind = kindNamedTV
		case e.pair == pHTTP:
			e.kind = kindURL
		case e.pair == pWWW:
			e.kind = kindWWW
		}
		e.a, e.z = keyOf(w, 0, len(w))
		h := slotOf(e.a, e.z)
		for slots[h] != 0 {
			h = (h + 1) & (tableSize - 1)
		}
		slots[h] = uint16(i + 1)
	}
}

// wordBuf holds one lowercase word. Its size is a power of two so that
// writing at n&(len-1) needs no bounds check.
type wordBuf [64]byte

// str returns the first n bytes of b as a string, without copying: valid
// until b is written again.
func (b *wordBuf) str(n int) string { return unsafe.String(&b[0], n) }

// lower writes the lowercase form of word (at most maxWord bytes) into b
// and returns it.
func (b *wordBuf) lower(word string) string {
	for i := 0; i < len(word); i++ {
		b[i&(len(b)-1)] = lowerWord[word[i]]
	}
	return b.str(len(word) & (len(b) - 1))
}

// lowerParts is lower that also reports whether word has a '_' (several
// parts, for shapeFacts).
func (b *wordBuf) lowerParts(word string) (string, bool) {
	parts := false
	for i := 0; i < len(word); i++ {
		c := word[i]
		if c == '_' {
			parts = true
		}
		b[i&(len(b)-1)] = lowerWord[c]
	}
	return b.str(len(word) & (len(b) - 1)), parts
}

// lanes20 sets bit 5 of every byte: it lowercases an ASCII letter and
// leaves a digit as it is (it turns '_' into 0x7f, in keys only).
const lanes20 = 0x2020202020202020

// keyOf returns the key of the n-byte word at s[start:] (1 <= n <= maxWord,
// made of word bytes): its first and second eight bytes, case folded and
// zero-padded. It reads s in place, eight bytes at a time. Words have no
// zero bytes, so for words of up to 16 bytes the key is the word.
func keyOf(s string, start, n int) (a, z uint64) {
	if start+16 <= len(s) {
		p := unsafe.Slice(unsafe.StringData(s), len(s)) // read only
		a = binary.LittleEndian.Uint64(p[start:])
		z = binary.LittleEndian.Uint64(p[start+8:])
	} else {
		a, z = tailKey(s[start:])
	}
	a |= lanes20
	z |= lanes20
	if n < 16 {
		if n <= 8 {
			a &= ^uint64(0) >> ((64 - 8*uint(n)) & 63)
			z = 0
		} else {
			z &= ^uint64(0) >> ((128 - 8*uint(n)) & 63)
		}
	}
	return a, z
}

// nonWord returns the top bit of every byte of x (little-endian) that is
// not a word byte: not a letter, digit, '_' (or DEL, which folds like it).
func nonWord(x uint64) uint64 {
	const (
		l01 = 0x0101010101010101
		l80 = 0x8080808080808080
	)
	v := x &^ l80     // the low seven bits; bytes from 0x80 are not word bytes
	lc := v | lanes20 // letters lowercased, digits as they are, '_' to 0x7f
	letter := (lc + l01*(0x80-'a')) &^ (lc + l01*(0x7f-'z'))
	digit := (v + l01*(0x80-'0')) &^ (v + l01*(0x7f-'9'))
	under := lc + l01 // 0x7f only
	return (^(letter | digit | under) | x) & l80
}

// tailKey reads the first 16 bytes of s, zero-padded.
func tailKey(s string) (a, z uint64) {
	var t [16]byte
	copy(t[:], s)
	return binary.LittleEndian.Uint64(t[0:8]), binary.LittleEndian.Uint64(t[8:16])
}

// slotOf returns the first slot to probe for a key.
func slotOf(a, z uint64) uint64 {
	return (a ^ z*0xff51afd7ed558ccd) * 0x9e3779b97f4a7c15 >> (64 - tableBits)
}

// lookup returns the entry of the n-byte word at s[start:], or nil.
func lookup(s string, start, n int) *entry {
	a, z := keyOf(s, start, n)
	if n <= 16 {
		return probe(a, z)
	}
	for h := slotOf(a, z); ; h = (h + 1) & (tableSize - 1) {
		k := slots[h]
		if k == 0 {
			return nil
		}
		i := (k - 1) & (maxWords - 1)
		if e := &entries[i]; e.a == a && e.z == z && int(e.n) == n && strings.EqualFold(longWords[i], s[start:start+n]) {
			return e
		}
	}
}

// lowerWord maps the bytes words are made of (letters, digits, '_') to
// their lowercase form, and every other byte to 0: those separate words.
var lowerWord = func() (t [256]byte) {
	for c := '0'; c <= '9'; c++ {
		t[c] = byte(c)
	}
	for c := 'a'; c <= 'z'; c++ {
		t[c] = byte(c)
		t[c-'a'+'A'] = byte(c)
	}
	t['_'] = '_'
	t[0x7f] = 0x7f
	return t
}()

// isWord marks the bytes words are made of: letters, digits, '_' and DEL
// (which case folding confuses with '_': see nonWord).
var isWord = func() (t [256]bool) {
	for c := range t {
		t[c] = lowerWord[c] != 0
	}
	t[0x7f] = true
	return t
}()

// Byte classes for scan.
const (
	cSep    = iota // separates words
	cDigit         // starts a number
	cLetter        // starts a word: a letter, '_' or DEL
)

var byteClass = func() (t [256]uint8) {
	for c := range t {
		switch {
		case isDigit(byte(c)):
			t[c] = cDigit
		case isWord[c]:
			t[c] = cLetter
		}
	}
	return t
}()

// scan reads ua word by word (case-insensitively) and collects its facts.
// A word's end is found eight bytes at a time, its key is read from ua in
// place and it is looked up once in the word table; numbers (versions,
// builds) are passed over. Everything else (the word after a pair, words
// the table does not know, host names and URLs) is off this path.
func scan(ua string) flags {
	if len(ua) > MaxScan {
		ua = ua[:MaxScan]
	}
	var (
		f    flags
		pair pairKind // the pair the previous word opened
	)
	if at := strings.IndexByte(ua, '@'); at >= 0 {
		f |= addresses(ua, at)
	}
	p := unsafe.Slice(unsafe.StringData(ua), len(ua)) // ua's bytes, read only
	i := 0
	if strings.HasPrefix(ua, mozillaSpan) {
		f, i = fName, len(mozillaSpan) // "Mozilla" states nothing else; nor do its numbers
	}
	for i < len(p) {
		switch byteClass[p[i]] {
		case cSep:
			i++
			continue
		case cDigit:
			if i > 0 && p[i-1] == '%' && p[i] == '2' && i+1 < len(p) && p[i+1] == '0' {
				// An escaped space, as app names are sent in CFNetwork's
				// User-Agents: "(Power%20Macintosh)", "My%20App/1.0".
				i += 2
				continue
			}
			// A number or a run of them: 537.36, 124.0.6367.118, 17_5_1.
			start := i
			i++
			for i < len(p) && (isDigit(p[i]) || (p[i] == '.' || p[i] == '_') && i+1 < len(p) && isDigit(p[i+1])) {
				i++
			}
			inches := screenInches(ua, start, i) // 10.1 inch, 7inch: a tablet's screen
			if inches && isWord[p[i]] || i-start >= 3 && i-start <= 4 && screenSize(ua, start, i) {
				f |= fTablet // glued: 10.1inch; a size in the name: Grand 10.1 Build/
			}
			if dashPairs>>pair&1 != 0 {
				f |= dashNumber(ua, start, i, pair)
			}
			if start > 0 && (p[start-1] == ';' || p[start-1] == ' ') && androidVersion(ua, start, i) {
				f |= fAndroidVersion
			}
			switch {
			case pair == pStreak, pair == pArchos, pair == pVenue, pair == pAlcatelT, pair == pADT:
				f |= modelNumber(pair, ua[start:i]) // Streak 7, Archos 101, Archos 97c, Venue 8, 1T 10, ADT-1
			case pair == pVF:
				f |= vodafoneTablet(ua[start:i]) // VF-1397, VFD 1400
			case pair == pTA:
				if p[start-1] == '-' && nokiaTablet(ua[start:i]) {
					f |= fTablet // Nokia T20 and T10: TA-1392, TA-1457
				}
			case i-start == 4:
				f |= alcatelTablet(ua, start, i) // 8091
			case pair == pDocomo:
				f |= docomoTablet(ua, start, i)
			case i-start == 9:
				f |= onnTablet(ua, start, i)
			}
			if i < len(p) && isWord[p[i]] {
				// Letters follow (360Spider, 21051182G, 5G): the last number
				// and its letters are one word.
				i = numberWord(ua, start, i, &f, pair)
			} else if pair == pNexus {
				f |= nexusNumber(ua[start:i])
			} else if pair == pPixel {
				f |= fMobile // Pixel 2, Pixel 7 Pro; not Pixel C or the Pixel Tablet
			} else if pair == pLumia && ua[start:i] == "2520" {
				f |= fTablet // the Lumia 2520, a Windows RT tablet
			}
			if pair == pTB && i-start >= 4 {
				f |= fTablet // Lenovo Tab: TB-8504F, YT3-850F
			}
			pair = pNone
			if inches {
				pair = pInches // then the word "inch"
			}
			if i-start == 2 && p[start+1]|0x20 == 't' {
				switch p[start] {
				case '1', '3':
					pair = pAlcatelT // Alcatel 1T 10, 3T 8: the number follows
				case '2', '4', '8':
					pair = pSharpT // Sharp 4T-C50BN1: the model follows
				}
			}
			i++ // p[i], if any, separates words
			continue
		}
		// A word. Its end, eight bytes at a time; x is its first eight.
		start := i
		var x uint64
		if i+8 <= len(p) {
			x = binary.LittleEndian.Uint64(p[i:])
			if nw := nonWord(x); nw != 0 {
				i += bits.TrailingZeros64(nw) >> 3
			} else {
				i = wordEnd(p, i+8)
			}
		} else {
			i = wordEnd(p, i+1)
		}
		end := i
		i++ // p[i], if any, separates words
		if i < len(p) && p[i] == ' ' {
			i++ // "; ", ") ", ", "
		}
		n := end - start
		if pair == pBuild && p[start-1] == '/' {
			f |= fAndroidBuild // "Build/JDQ39"; a number (Build/20121030) is not one
		}
		var a, z uint64
		switch {
		case n <= 8 && start+8 <= len(p):
			a = (x | lanes20) & lowMask[n&7]
		case n <= 16 && start+16 <= len(p):
			a = x | lanes20
			z = (binary.LittleEndian.Uint64(p[start+8:]) | lanes20) & lowMask[n&7]
		default:
			f, pair = longWord(ua, start, end, f, pair)
			continue
		}
		if pair != pNone && pairLengths[pair]>>uint(n&63)&1 != 0 {
			f = pairFacts(f, pair, ua[start:end])
		}
		e := probe(a, z)
		if e == nil {
			f, pair = unknownWord(ua, start, end, f, pair)
			continue
		}
		if pair == pLike {
			// "Tizen/2.0 like Android", "Linux like Android" (PocketBook's
			// and the Kindle's Linux), "Ubuntu 14.04 like Android 4.4": the
			// OS is the one compared, not Android.
			f |= e.f &^ fAndroid
		} else {
			f |= e.f
		}
		pair = e.pair
		if e.kind != kindNone {
			var g flags
			g, i = special(e, ua, start, end, i)
			f |= g
		}
	}
	return f
}

// androidVersion reports whether the number ua[start:end] is an Android
// version where an Android browser writes it without the word Android:
// right after "Linux;" or "Linux; U;" ("JUC (Linux; U; 2.3.7; zh-cn; HTC
// Desire)", "(Linux; 4.4.4; Nexus 7 Build/KTU84P) ... Obigo"). A kernel
// version follows "Linux " without the semicolon ("Linux 2.6.32"), or
// has a minor number no Android release had ("Linux;4.15.0-162-generic").
func androidVersion(ua string, start, end int) bool {
	v := ua[start:end]
	dot := strings.IndexByte(v, '.')
	if dot < 1 || dot > 2 || dot+1 >= len(v) {
		return false
	}
	major := atoiSmall(v[:dot])
	minor := v[dot+1:]
	if d := strings.IndexByte(minor, '.'); d >= 0 {
		minor = minor[:d]
	}
	// Android 1.0 to 1.6, 2.0 to 2.3, 3.0 to 3.2, 4.0 to 4.4, then x.0
	// and x.1 (Android 16 at most, for now).
	if major < 1 || major > 16 || len(minor) != 1 || minor[0] > '6' || major > 1 && minor[0] > '4' {
		return false
	}
	if end < len(ua) {
		switch c := ua[end]; {
		case c == ';', c == ')', c == ' ':
		case c == '-' && len(ua) >= end+7 && strings.EqualFold(ua[end+1:end+7], "update"): // 2.1-update1
		default:
			return false
		}
	}
	i := semicolonBefore(ua, start)
	if i >= 2 && (ua[i-1] == 'U' || ua[i-1] == 'u') && !isWord[ua[i-2]] {
		i = semicolonBefore(ua, i-1) // "Linux; U;": the U (encryption strength) between them
	}
	return i >= 5 && strings.EqualFold(ua[i-5:i], "linux") && (i == 5 || !isWord[ua[i-6]])
}

// semicolonBefore returns where ua[:i] ends once the spaces, a semicolon
// and the spaces before it are taken off its end, or -1 when no semicolon
// is there.
func semicolonBefore(ua string, i int) int {
	for i > 0 && ua[i-1] == ' ' {
		i--
	}
	if i == 0 || ua[i-1] != ';' {
		return -1
	}
	i--
	for i > 0 && ua[i-1] == ' ' {
		i--
	}
	return i
}

// atoiSmall returns the value of one or two decimal digits, or -1.
func atoiSmall(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return -1
		}
		n = n*10 + int(s[i]-'0')
	}
	return n
}

// lowMask[n] keeps the first n bytes of a little-endian word, all eight
// for n = 0 (n&7 of 8).
var lowMask = [8]uint64{^uint64(0), 0xff, 0xffff, 0xffffff, 0xffffffff, 0xffffffffff, 0xffffffffffff, 0xffffffffffffff}

// wordEnd returns where the word that runs through p[i] (or ends just
// before it) ends.
func wordEnd(p []byte, i int) int {
	for i+8 <= len(p) {
		if nw := nonWord(binary.LittleEndian.Uint64(p[i:])); nw != 0 {
			return i + bits.TrailingZeros64(nw)>>3
		}
		i += 8
	}
	for i < len(p) && isWord[p[i]] {
		i++
	}
	return i
}

// probe returns the entry with key a, z, or nil.
func probe(a, z uint64) *entry {
	for h := slotOf(a, z); ; h = (h + 1) & (tableSize - 1) {
		k := slots[h]
		if k == 0 {
			return nil
		}
		if e := &entries[(k-1)&(maxWords-1)]; e.a == a && e.z == z {
			return e
		}
	}
}

// longWord adds the facts of the word ua[start:end] when it is longer
// than eight bytes or near the end of ua: the general case of scan's word
// path.
func longWord(ua string, start, end int, f flags, pair pairKind) (flags, pairKind) {
	n := end - start
	if n > maxWord {
		if hasSuffixFold(ua[start:end], "bot") || hasSuffixFold(ua[start:end], "spider") {
			f |= fBot
		}
		return f, pNone
	}
	if pair != pNone && pairLengths[pair]>>uint(n&63)&1 != 0 {
		f = pairFacts(f, pair, ua[start:end])
	}
	e := lookup(ua, start, n)
	if e == nil {
		return unknownWord(ua, start, end, f, pair)
	}
	f |= e.f
	if e.kind != kindNone {
		g, _ := special(e, ua, start, end, end)
		f |= g
	}
	return f, e.pair
}

// unknownWord adds the facts of the word ua[start:end], which is not in
// the table as it is: without its trailing digits (iPad13, Win95, BAH3) it
// may be; otherwise the name rules read it.
func unknownWord(ua string, start, end int, f flags, pair pairKind) (flags, pairKind) {
	if pair == pBuild {
		// A build number (JDQ39, KTU84P), or a device's name where its
		// build number belongs (Build/HuaweiMediaPad).
		if n := end - start; n >= 5 && n <= maxWord {
			var b wordBuf
			w, parts := b.lowerParts(ua[start:end])
			f |= shapeFacts(w, false, parts) & (fTablet | fTV)
		}
		return f, pNone
	}
	if end+1 < len(ua) && ua[end] == '-' && (lenovoTablet(ua[start:end], ua[end+1:]) || lenovoTab2(ua[start:end], ua[end+1:]) || huaweiWiFi(ua, start, end)) {
		return f | fTablet | fName, pNone
	}
	if isDigit(ua[end-1]) {
		if end-start == 5 && auTablet(ua[start:end]) {
			return f | fTablet | fName, pNone
		}
		m := end - 1
		for isDigit(ua[m-1]) {
			m--
		}
		if m-start == 1 {
			// One letter and digits (H96, X96, S905): a model code, which
			// only the prefix rules know.
			if n := end - start; n >= 3 && n <= maxWord {
				var b wordBuf
				f |= prefixFacts(b.lower(ua[start:end]))
			}
			return f | fName, pNone
		}
		// A TV brand's letters with digits are not the brand (Tanix's TX3
		// and TX6 boxes are no Panasonic TX-): the name rules read them.
		if e := lookup(ua, start, m-start); e != nil && e.pair != pTVSize {
			// A crawler's name with a number is still that crawler, but
			// the name rules say so; a known word with digits is as often
			// a model or build code ("CRON5" in an Opera TV build).
			if e.pair == pArchos || e.pair == pStreak {
				f |= modelNumber(e.pair, ua[m:end]) // Archos5, Archos70
			}
			if e.kind == kindLine {
				f |= fTablet // a tablet line's name and number: iPlay40
			}
			return f | e.f&^fBot | fName, e.pair
		}
	}
	n := end - start
	if n >= 2 {
		f |= fName
	}
	if n >= 6 && wapName(ua[start:end]) {
		f |= fFeature // a feature phone's WAP browser: Videocon_V1388N_Wap Browser
	}
	if n >= 3 {
		var b wordBuf
		w, parts := b.lowerParts(ua[start:end])
		g := unknownFacts(w, ua[start:end], end < len(ua) && ua[end] == '/', parts)
		if pair == pTecno {
			g &^= fTV // TECNO's phones: KM5, KM7 (not Mecool's KM boxes)
		}
		if g&fTVName != 0 && !parts && lettersThenDigits(w) && afterSemicolon(ua, start) && strings.HasPrefix(ua[end:], " Build/") {
			// A name of letters ending in TV (and perhaps a number) as an
			// Android device's model, after a semicolon (and perhaps a
			// brand) and right before its build (WhaleyTV Build/,
			// BeyondTV3 Build/), is the device's name, not an app's; not a
			// tablet's code with a TV tuner (MID7012TV) or a board's build
			// name (e1908_v77_jbl1a535ntv).
			g |= fTV
		}
		f |= g
	}
	return f, pNone
}

// numberWord adds to *f the facts of the word that starts with the number
// ua[start:i] and goes on with letters, and returns where it ends.
func numberWord(ua string, start, i int, f *flags, pair pairKind) int {
	for k := i - 1; k > start; k-- {
		if ua[k] == '.' || ua[k] == '_' {
			start = k + 1 // only the last number of a run
			break
		}
	}
	p := unsafe.Slice(unsafe.StringData(ua), len(ua))
	end := wordEnd(p, i)
	if end-start <= maxWord {
		var b wordBuf
		w := b.lower(ua[start:end])
		*f |= numberFacts(w)
		switch pair {
		case pTVSize: // TH-55JX750, KD-55X85J (after the brand's letters and a hyphen)
			if start > 0 && ua[start-1] == '-' && tvModel(w) && *f&(fTablet|fApple) == 0 {
				*f |= fTV
			}
		case pNS: // NS-15AT07, NS-14T004; Insignia's TVs: NS-50DF710NA21
			if len(w) >= 5 && isDigit(w[1]) && (strings.HasPrefix(w[2:], "at") && isDigit(w[4]) || w[2] == 't' && isDigit(w[3])) {
				*f |= fTablet
			} else if len(w) >= 5 && isDigit(w[0]) && isDigit(w[1]) && w[2] == 'd' && isLetter(w[3]) && isDigit(w[4]) {
				*f |= fTV
			}
		}
		if tvModel(w) && *f&(fTablet|fApple) == 0 && inDeviceName(ua, start, end) {
			// A TV's model code, its screen size first: 55C825, 43P615,
			// 50PUS6704/12. Not after a tablet's name (Mediacom's
			// "SmartPad 85S23G") or an Apple system's, whose builds look
			// alike ("(Macintosh; OS X 15.3.2; 24D81)").
			*f |= fTV
		}
		if pair == pPuffin {
			*f |= puffinFacts(w)
		}
	}
	return end
}

// puffinFacts returns the facts of the end of the Puffin browser's
// version, which names the device behind its desktop-like User-Agent: AT
// an Android tablet, IT an iPad, AP an Android phone, IP an iPhone
// (Puffin/4.0.4.931AT).
func puffinFacts(w string) flags {
	if len(w) < 2 {
		return 0
	}
	switch w[len(w)-2:] {
	case "at":
		return fTablet | fAndroid
	case "it":
		return fTablet | fIPad
	case "ap":
		return fMobile | fAndroid
	case "ip":
		return fMobile | fIOS
	}
	return 0
}

// dashPairs are the pairs whose number, after a hyphen, dashNumber reads.
const dashPairs = 1<<pAcer | 1<<pNT | 1<<pHuaweiNum | 1<<pPB | 1<<pBQ | 1<<pCX | 1<<pTM

// dashNumber returns the facts of the number ua[start:end] (its digits,
// before any letters) after a pair word and a hyphen: three digits after an
// Acer Iconia series (A1-810, B1-710, A1-840FHD) or an older Huawei tablet
// series (T1-701u, S7-301u, M2-801L, GEM-703L), four after iconBIT's NT
// (NT-1710; not "Windows NT 10.0") or Lenovo's PB (PB-6505M), four from
// 7xxx, 8xxx or 10xx after BQ (BQ-7082G, BQ-1045G; not the BQ-5xxx
// phones or the BQ-14xx feature phones) and after teXet's TM (TM-7021,
// TM-1046; not its TM-4xxx and TM-5xxx phones), 7xxx, 8xxx or 9xxx
// too for teXet (TM-9720), 9xx after Tronsmart's CX (CX-919).
func dashNumber(ua string, start, end int, pair pairKind) flags {
	if start == 0 || ua[start-1] != '-' {
		return 0
	}
	n := end - start
	for k := start; k < end; k++ {
		if !isDigit(ua[k]) {
			return 0
		}
	}
	switch {
	case n == 3 && (pair == pAcer || pair == pHuaweiNum),
		n == 4 && (pair == pNT || pair == pPB),
		n == 4 && pair == pBQ && (ua[start] == '7' || ua[start] == '8' || ua[start] == '1' && ua[start+1] == '0'),
		n == 4 && pair == pTM && (ua[start] >= '7' && ua[start] <= '9' || ua[start] == '1' && ua[start+1] == '0'):
		return fTablet
	case n == 3 && pair == pCX && ua[start] == '9':
		return fTV
	}
	return 0
}

// modelNumber returns the facts of the number w after the name of a line
// of devices whose numbers say which are tablets: Dell Streak 7 and 10
// (the Streak 5 is a phone); Archos 5, 7, 8, 9 and 10 and the 70 to 199
// lines (Archos 80 Xenon, 97c Platinum, 101 Oxygen), not the 40 to 64
// phones (Archos 50 Platinum); Dell Venue 7, 8, 10 and 11 (the Venue Pro
// is a phone); Alcatel 1T 7, 1T 10, 3T 8 and 3T 10; and Google's ADT-1 to
// ADT-3 Android TV developer boxes.
func modelNumber(p pairKind, w string) flags {
	if len(w) == 0 || len(w) > 3 {
		return 0
	}
	v := 0
	for k := 0; k < len(w); k++ {
		if !isDigit(w[k]) {
			return 0
		}
		v = v*10 + int(w[k]-'0')
	}
	switch {
	case p == pStreak && (v == 7 || v == 10),
		p == pArchos && (v == 5 || v >= 7 && v <= 10 || v >= 70 && v <= 199),
		p == pVenue && (v == 7 || v == 8 || v == 10 || v == 11),
		p == pAlcatelT && (v == 7 || v == 8 || v == 10):
		return fTablet
	case p == pADT && v >= 1 && v <= 3:
		return fTV
	}
	return 0
}

// tvModel reports whether w is a TV's model code, which starts with its
// screen size in inches: a size TVs are made in, one to four letters, two
// to six digits (or one and letters), and at most a few letters and digits
// more (TCL 55C825, 43P615; Philips 55PUS780912, 65OLED806; Hisense
// 55A6502EA, 65A7GQ; Toshiba 32SL863).
// Phones' codes that start with digits have four of them (Alcatel 5033D)
// or three (SoftBank's 402SH). numberWord has ended w at the first byte
// that is not a letter or digit.
func tvModel(w string) bool {
	if !tvModelShape(w) {
		return false
	}
	if len(w) == 7 || len(w) == 8 {
		// A short commit hash or a UUID's first group: 62171b3, 28d414cc.
		for k := 0; k < len(w); k++ {
			if !isDigit(w[k]) && (w[k] < 'a' || w[k] > 'f') {
				return true
			}
		}
		return false
	}
	return true
}

// tvModelShape reports whether w has the shape tvModel describes, be it
// also a hexadecimal number's.
func tvModelShape(w string) bool {
	if len(w) < 5 || len(w) > 14 || !isDigit(w[0]) || !isDigit(w[1]) || !tvSizes[(w[0]-'0')*10+w[1]-'0'] {
		return false
	}
	i := 2
	for i < len(w) && i < 7 && isLetter(w[i]) {
		i++
	}
	if i == 2 || i == 7 {
		return false
	}
	d := i
	for i < len(w) && isDigit(w[i]) {
		i++
	}
	// One digit only with letters after it: Hisense 55A6G, 65A7GQ.
	return i-d > 0 && i-d <= 6 && !(i-d == 1 && i == len(w))
}

// inDeviceName reports whether ua[start:end] stands where a device's name
// does: after "; ", ";" or a brand's name and a space ("; 55C825 Build/",
// "(Hisense;55A6502EA;", "; TCL 55C825)"), before a space, ";", ")" or
// "/", or the whole of a Sec-CH-UA-Model value. Not a version's or a
// build's part ("AppleCoreMedia/1.0.0.22B83",
// "Mobile/22B83", "(Build 24B83)", "iOS/18.1 (22B83)",
// "UnityPlayer/2020.3.42f1c1").
func inDeviceName(ua string, start, end int) bool {
	// The last word of a Sec-CH-UA-Model sf-string ("55C825", "Hisense
	// 65A7GQ"); the whole value names the device.
	hint := ua[0] == '"' && end == len(ua)-1 && ua[end] == '"'
	if start == 1 && ua[0] == '"' {
		return hint
	}
	if start < 2 || !hint && end < len(ua) && ua[end] != ' ' && ua[end] != ';' && ua[end] != ')' && ua[end] != '/' {
		return false
	}
	switch ua[start-1] {
	case ';':
		return true
	case ' ':
		if ua[start-2] == ';' {
			return true
		}
		return !(start >= 6 && strings.EqualFold(ua[start-6:start-1], "build"))
	}
	return false
}

// tvSizes are the screen sizes, in inches, that TVs are sold in.
var tvSizes = func() (t [100]bool) {
	for _, n := range []int{22, 24, 28, 32, 39, 40, 42, 43, 48, 49, 50, 55, 58, 60, 65, 70, 75, 77, 82, 83, 85, 86, 98} {
		t[n] = true
	}
	return t
}()

// screenInches reports whether the number run ua[start:end] (10.1, 7) is a
// tablet's screen size in inches, 7 to 13, with "inch" glued to it or after
// a space (10.1inch, 7 Inch).
func screenInches(ua string, start, end int) bool {
	v := 0
	for k := start; k < end && isDigit(ua[k]); k++ {
		v = v*10 + int(ua[k]-'0')
		if v > 13 {
			return false
		}
	}
	if v < 7 {
		return false
	}
	rest := ua[end:]
	if len(rest) > 0 && rest[0] == ' ' {
		rest = rest[1:]
	}
	return len(rest) >= 4 && strings.EqualFold(rest[:4], "inch")
}

// screenSize reports whether the number run ua[start:end] is a tablet's
// screen size, 9.6 to 13.9 inches with one decimal, as the last words of
// an Android device's name give it: "Grand 10.1 Build/", "CnM TOUCHPAD
// 9.7 Build/", "CAPTIVA 10.1 HD Build/". After a word and a space, and in
// a device list entry that ends in a build ("MSIE 10.0;", "Windows NT
// 10.0;" and "Mac OS X 10.9)" have none), not Android's version; phones'
// names use smaller numbers (Nokia 7.2, X-Style 6.0).
func screenSize(ua string, start, end int) bool {
	n := end - start
	if ua[end-2] != '.' || start < 2 || ua[start-1] != ' ' || !isWord[ua[start-2]] {
		return false
	}
	switch {
	case n == 3 && ua[start] == '9' && ua[start+2] >= '6':
	case n == 4 && ua[start] == '1' && ua[start+1] <= '3':
	default:
		return false
	}
	if start >= 9 && strings.EqualFold(ua[start-8:start-1], "android") {
		return false // Android 10.1 Build/...
	}
	rest := ua[end:]
	if k := strings.IndexAny(rest, ";)"); k >= 0 {
		rest = rest[:k]
	}
	return strings.Contains(rest, " Build/")
}

// vodafoneTablet returns fTablet for the number after Vodafone's VF or VFD
// that names one of its tablets: four digits from 1 (VF-1397, VFD 1100);
// its phones have three (VF-695, VFD 500).
func vodafoneTablet(w string) flags {
	if len(w) == 4 && w[0] == '1' && allDigits(w) {
		return fTablet
	}
	return 0
}

// alcatelTablet returns fTablet when the number ua[start:end], with at
// most one letter after it, is a whole word of a device list ("; 8091
// Build/", "; 8088X)") and one of Alcatel's 806x-809x tablets (1T 7, 1T 10,
// 3T 10: 8063, 8088X, 8091); its 80[0-5]x are phones (8050D), and so are
// other makers' numbers after their name (Coolpad 8076D).
func alcatelTablet(ua string, start, end int) flags {
	if end < len(ua) && isLetter(ua[end]) {
		end++
	}
	if start < 2 || ua[start-1] != ' ' || ua[start-2] != ';' || end < len(ua) && ua[end] != ' ' && ua[end] != ')' && ua[end] != ';' {
		return 0
	}
	if ua[start] == '8' && ua[start+1] == '0' && ua[start+2] >= '6' {
		return fTablet
	}
	return 0
}

// docomoTablet returns fTablet when the number ua[start:end] and what
// follows it, after a docomo maker's letters and a hyphen, are one of
// docomo's tablet codes: any code of the dtab line (d-01G, d-02K, d-42A;
// written in lowercase), and SC-01C, SC-01D, SC-01E, SC-02D, SC-03G
// (Galaxy Tab), SH-08E, SH-06F, SH-05G (AQUOS PAD), SO-03E, SO-05F, SO-05G
// (Xperia Tablet), F-01D, F-05E, F-02F, F-03G (ARROWS Tab), N-06D, N-08D
// (MEDIAS TAB), L-06C (Optimus Pad). The maker's other codes are phones
// (SC-02C, SH-01K, SO-01L, F-10D).
func docomoTablet(ua string, start, end int) flags {
	// The code: two digits and one letter, then the word ends.
	if end-start != 2 || end >= len(ua) || !isLetter(ua[end]) || end+1 < len(ua) && isWord[ua[end+1]] {
		return 0
	}
	if start < 2 || ua[start-1] != '-' {
		return 0
	}
	from := start - 1
	for from > 0 && isLetter(ua[from-1]) {
		from--
	}
	if from > 0 && isWord[ua[from-1]] || start-1-from > 2 {
		return 0
	}
	if ua[from] == 'd' && start-1-from == 1 {
		return fTablet // dtab: written "d-", in lowercase
	}
	var b wordBuf
	k := b.lower(ua[from : start-1])
	code := ua[start : end+1]
	var list string
	switch k {
	case "sc":
		list = "01C 01D 01E 02D 03G"
	case "sh":
		list = "08E 06F 05G"
	case "so":
		list = "03E 05F 05G"
	case "f":
		list = "01D 05E 02F 03G"
	case "n":
		list = "06D 08D"
	case "l":
		list = "06C"
	}
	for len(list) >= 3 {
		if strings.EqualFold(list[:3], code) {
			return fTablet
		}
		list = list[min(4, len(list)):]
	}
	return 0
}

// onnTablet returns fTablet when the number ua[start:end], nine digits,
// is an onn. tablet's model number (100011885, 100071485) in the device
// slot: after "; " and before " Build" or ")".
func onnTablet(ua string, start, end int) flags {
	if start < 2 || ua[start-2] != ';' || ua[start-1] != ' ' || !strings.HasPrefix(ua[start:], "1000") ||
		end < len(ua) && ua[end] != ' ' && ua[end] != ')' {
		return 0
	}
	return fTablet
}

// auTablet reports whether word, five bytes, is one of au's tablet codes:
// a maker's two letters, T (tablet), two digits (SHT21 AQUOS PAD, SOT31
// Xperia Z4 Tablet, SCT21 Galaxy Tab S, KYT31, LGT32, HWT31, FJT21). au's
// phones have V or L there (SOV33, SHL21).
func auTablet(word string) bool {
	if word[2]|0x20 != 't' || !isDigit(word[3]) || !isDigit(word[4]) || word[3] != '2' && word[3] != '3' {
		return false
	}
	switch word[0] | 0x20 {
	case 's':
		c := word[1] | 0x20
		return c == 'h' || c == 'o' || c == 'c'
	case 'k':
		return word[1]|0x20 == 'y'
	case 'l':
		return word[1]|0x20 == 'g'
	case 'h':
		return word[1]|0x20 == 'w'
	case 'f':
		return word[1]|0x20 == 'j'
	}
	return false
}

// lenovoTablet reports whether code, followed by a hyphen and rest, is a
// Lenovo tablet's model code: A, B or S, four digits, at most one letter,
// then the variant, F (Wi-Fi) or H (3G) with at most one more letter, or
// GV (A3500-FL, B6000-HV, A2107A-H, S6000-H, A3300-GV). Lenovo's phones do
// not use these variants.
func lenovoTablet(code, rest string) bool {
	if len(code) < 5 || len(code) > 6 || len(rest) == 0 {
		return false
	}
	switch code[0] | 0x20 {
	case 'a', 'b', 's':
	default:
		return false
	}
	if !isDigit(code[1]) || !isDigit(code[2]) || !isDigit(code[3]) || !isDigit(code[4]) || len(code) == 6 && !isLetter(code[5]) {
		return false
	}
	if v := rest[0] | 0x20; v == 'g' && len(rest) > 1 && rest[1]|0x20 == 'v' {
		return len(rest) == 2 || !isLetter(rest[2]) // A3300-GV
	} else if v != 'f' && v != 'h' {
		return false
	}
	n := 1
	if len(rest) > 1 {
		switch rest[1] | 0x20 {
		case 'l', 'v', 'u':
			n = 2
		}
	}
	return len(rest) == n || !isLetter(rest[n])
}

// lenovoTab2 reports whether code, a hyphen and rest begin one of the
// Lenovo TAB 2 and TAB 3 codes: A7, A8 or A10, two digits ending in 0,
// and the variant's letters (A7-30F, A8-50LC, A10-70F, A10-30F). Acer's
// Iconia codes after A1 and A3 have three digits or a letter (A1-810,
// A3-A40).
func lenovoTab2(code, rest string) bool {
	if len(code) < 2 || len(code) > 3 || code[0]|0x20 != 'a' {
		return false
	}
	switch code[1:] {
	case "7", "8", "10":
	default:
		return false
	}
	if len(rest) < 3 || !isDigit(rest[0]) || rest[1] != '0' || !isLetter(rest[2]) {
		return false
	}
	k := 3
	for k < len(rest) && k < 5 && isLetter(rest[k]) {
		k++
	}
	return k == len(rest) || !isLetter(rest[k]) && !isDigit(rest[k])
}

// huaweiWiFi reports whether ua[start:end], before a hyphen, begins a
// Huawei or Honor model code of the Wi-Fi-only kind in a device's name:
// three or four capitals, perhaps a digit, then -W, a digit and 9 (for the
// world) or 0 (for China), perhaps a region's letters (NDL-W09, SCMR-W09,
// AGM3-W09HN, PCE-W29, DBY2-W00). Only tablets come without a cellular
// radio; the phones' codes are -L, -AL, -LX, -N. Samsung's SM-W2018 flip
// phones have two letters and four digits; the POMP W88 phone ends in 8.
func huaweiWiFi(ua string, start, end int) bool {
	n := end - start
	if n < 3 || n > 5 || end+4 > len(ua) || ua[end+1] != 'W' || !isDigit(ua[end+2]) || ua[end+3] != '9' && ua[end+3] != '0' {
		return false
	}
	letters := 0
	for letters < n && 'A' <= ua[start+letters] && ua[start+letters] <= 'Z' {
		letters++
	}
	if letters < 3 || letters > 4 || n-letters > 1 || n > letters && !isDigit(ua[end-1]) {
		return false
	}
	k := end + 4
	for k < len(ua) && k < end+6 && 'A' <= ua[k] && ua[k] <= 'Z' {
		k++
	}
	return inDeviceName(ua, start, k)
}

// asusTablet reports whether word (as written) is an Asus MeMO Pad or
// Fonepad model code: ME, three digits, one or two capital letters (ME173X,
// ME371MG, ME302C). Motorola's ME525 and ME860 end in digits, LG's
// ME850c in a small letter.
func asusTablet(word string) bool {
	n := len(word)
	if n < 6 || n > 7 || word[1] != 'E' || !isDigit(word[2]) || !isDigit(word[3]) || !isDigit(word[4]) {
		return false
	}
	for k := 5; k < n; k++ {
		if word[k] < 'A' || word[k] > 'Z' {
			return false
		}
	}
	return true
}

// special returns the facts of a word whose meaning depends on what is
// around it, and where scanning goes on (next, unless the word starts a
// span that says nothing). A top-level domain after a dot is a host name,
// "http" before "://" a URL, "www" before a dot a host name. The
// boilerplate of WebKit and Blink User-Agents ("AppleWebKit/537.36 (KHTML,
// like Gecko)") is passed over whole: none of its words states a fact.
func special(e *entry, ua string, start, end, next int) (flags, int) {
	switch {
	case e.kind == kindTLD:
		// "example.com": a dot right after a word, and the host name ends.
		if start >= 2 && ua[start-1] == '.' && isWord[ua[start-2]] && (end == len(ua) || endsHost(ua[end])) {
			return hostFacts(ua, start, end), next
		}
	case e.kind == kindURL:
		if end+2 < len(ua) && ua[end] == ':' && ua[end+1] == '/' && ua[end+2] == '/' ||
			start > 0 && ua[start-1] == '+' {
			return fBot, next // a URL, "+http://...": a crawler's contact page; browsers never send one
		}
	case e.kind == kindWWW:
		if end < len(ua) && ua[end] == '.' {
			return fBot, next // www.example.com
		}
	case e.kind == kindWebKit:
		// AppleWebKit/537.36 (KHTML, like Gecko)
		j := end
		if j < len(ua) && ua[j] == '/' {
			j++
			for j < len(ua) && (isDigit(ua[j]) || ua[j] == '.' || ua[j] == '+') {
				j++
			}
			if strings.HasPrefix(ua[j:], khtmlSpan) {
				return 0, j + len(khtmlSpan)
			}
			return 0, j
		}
	case e.kind == kindKHTML:
		if strings.HasPrefix(ua[start:], khtmlSpan[2:]) {
			return 0, start + len(khtmlSpan) - 2
		}
		if strings.HasPrefix(ua[start:], khtmlSpan[2:len(khtmlSpan)-1]+";") {
			// "(KHTML, like Gecko; Google Web Preview)": browsers close the
			// parenthesis; tools that borrow their User-Agent add a name.
			return fBot, next
		}
	case e.kind == kindText:
		if start == 0 {
			return fTextBrowser, next
		}
	case e.kind == kindBox, e.kind == kindLine:
		// "Nokia Streaming Box 8000", "Mi Box", "CANAL PLUS BOX Build/...",
		// "Digma Plane 1550S": a word of a device name. Not a product
		// ("Box/5.0", "X-Plane/12.1") or part of a package name
		// ("com.box.android").
		if start > 0 && (ua[start-1] == ' ' || ua[start-1] == ';' || ua[start-1] == '(' || ua[start-1] == '-') &&
			(end == len(ua) || ua[end] != '/' && ua[end] != '.') {
			if e.kind == kindLine {
				// Only in the device list, between parentheses: not an
				// app's name written after a browser's ("Safari/537.36
				// Nimbus Note/1.2").
				if strings.Count(ua[:start], "(") > strings.Count(ua[:start], ")") {
					return fTablet, next
				}
				return 0, next
			}
			return fTV, next
		}
	case e.kind == kindHandset, e.kind == kindPCMaker:
		if start == 0 && handsetModel(ua, end, e.kind == kindPCMaker) {
			return fFeature, next
		}
	case e.kind == kindNamedTV:
		if end == len(ua) || ua[end] != ' ' {
			return fTV, next
		}
	case e.kind == kindCompatible:
		// "compatible" names the real product in the first parenthesis of
		// MSIE and Konqueror; a later "(compatible; Name/1.0)" ("...
		// Safari/537.36 (compatible; Name/1.0)") is a tool adding its name to
		// a browser's. A "Compatible" outside a parenthesis is a word of the
		// browser's own ("LG NetCast.TV-2013 Compatible (LGE, ...)").
		if start > 0 && ua[start-1] == '(' && strings.IndexByte(ua[:start], ')') >= 0 && !compatibleBrowser(ua[end:]) {
			return fBot, next
		}
	}
	return 0, next
}

// compatibleBrowser reports whether s, which follows "compatible", goes on
// with a browser's name.
func compatibleBrowser(s string) bool {
	for len(s) > 0 && (s[0] == ';' || s[0] == ' ') {
		s = s[1:]
	}
	return len(s) >= 4 && strings.EqualFold(s[:4], "msie") || len(s) >= 9 && strings.EqualFold(s[:9], "konqueror")
}

// hostFacts returns the facts of the host name that ends with the
// top-level domain ua[start:end]: a crawler's home page (fBot), unless it
// is an app's reverse-DNS identifier (com.example.app.de: its first label
// is a top-level domain too) or names the product itself ("Bol.com/1.2.3
// (Android 9; SM-G955F)": an app named after its site, fAuto, which a
// named device outweighs). Version numbers with a region ("1.7412.EU")
// are not host names: a label has a letter, and no two are numbers alone
// ("Blur_Version.0.45.203.MB511.Brasil.en.BR", a phone's firmware).
func hostFacts(ua string, start, end int) flags {
	from := start - 1 // where the name starts
	for from > 0 && (isWord[ua[from-1]] || ua[from-1] == '-' || ua[from-1] == '.') {
		from--
	}
	labels := ua[from : start-1] // the labels before the top-level domain
	if !hasLetter(labels[strings.LastIndexByte(labels, '.')+1:]) || versionLabels(labels) {
		return 0
	}
	if from >= 5 && strings.EqualFold(ua[from-5:from], "fbcr/") {
		return 0 // the carrier in Facebook's in-app browser: FBCR/Telekom.de, FBCR/o2.de
	}
	if from >= 6 && strings.EqualFold(ua[from-6:from], "build/") {
		return 0 // a custom ROM's build named after its site: Build/VEGAVIET.COM
	}
	if dot := strings.IndexByte(labels, '.'); dot > 0 && dot <= maxWord {
		if e := lookup(labels, 0, dot); e != nil && e.kind == kindTLD {
			return 0 // com.dni.vod.dmax.de, com.MTGx.ViaFree.dk: an app
		}
	}
	if end < len(ua) && ua[end] == '/' {
		return fAuto // Bol.com/1.2.3: a product
	}
	return fBot
}

// versionLabels reports whether two of the dot-separated labels are
// digits only, as a version's parts are (webscan.360.cn has one).
func versionLabels(labels string) bool {
	n := 0
	for labels != "" {
		var l string
		l, labels, _ = strings.Cut(labels, ".")
		if allDigits(l) {
			n++
		}
	}
	return n >= 2
}

func hasLetter(s string) bool {
	for i := 0; i < len(s); i++ {
		if isLetter(s[i]) {
			return true
		}
	}
	return false
}

// handsetModel reports whether a model follows the handset maker's name
// that ends at ua[end]: after a hyphen, an underscore or a dot ("PHILIPS-Fisio
// 121", "SEC-SGHX660/1.0", "HAIER-N60", "BIRD.A120"), or after a space a
// word with a digit ("Micromax X222", "Amoi 8512/R28.0", "BIRD S701_GPRS/1.0").
// Not the maker's own program ("Huawei Share/1.0", "Philips/2.1"). With
// digit, the model after a hyphen, an underscore or a dot must have a digit
// too ("LENOVO-I908", "Motorola-V600i"; not "Lenovo-Vantage").
func handsetModel(ua string, end int, digit bool) bool {
	if end+1 >= len(ua) {
		return false
	}
	switch ua[end] {
	case '-', '_', '.':
		if !isWord[ua[end+1]] || isDigit(ua[end+1]) && ua[end] == '.' {
			return false // "Name.1": a version
		}
		if !digit {
			return true
		}
		fallthrough
	case ' ':
		for i := end + 1; i < len(ua) && i <= end+maxWord && ua[i] != ' ' && ua[i] != '/'; i++ {
			if isDigit(ua[i]) {
				return true
			}
		}
	}
	return false
}

// khtmlSpan follows "AppleWebKit/<version>" in most User-Agents.
const khtmlSpan = " (KHTML, like Gecko)"

// mozillaSpan starts most User-Agents.
const mozillaSpan = "Mozilla/5.0 ("

// addresses returns fBot if ua, which has an '@' at index at, holds a
// contact address: name@example.com.
func addresses(ua string, at int) flags {
	for at >= 0 {
		if at > 0 && lowerWord[ua[at-1]] != 0 && isAddress(ua[at+1:]) {
			return fBot
		}
		next := strings.IndexByte(ua[at+1:], '@')
		if next < 0 {
			break
		}
		at += 1 + next
	}
	return 0
}

// unknownFacts returns the facts of a word that is not in the table: a
// name (...bot, ...crawler), a known prefix, a device name by how it ends,
// or a Fire TV or Fire tablet model code. orig is the word as written;
// product says it names a product ("Name/1.0"), parts that it has a '_'.
func unknownFacts(w, orig string, product, parts bool) flags {
	f := nameFacts(w) | prefixFacts(w) | shapeFacts(w, product, parts)
	if chuwiHi(w) {
		f |= fTablet // a whole word only: not iHunt's Like_Hi10_2021 phone
	}
	if parts && f&fFeature == 0 {
		// A device name in parts: its model code may come after a brand
		// (ASUS_P00A, HX_S905); not in a feature phone's (LG_TB200_CMCC).
		for k := 1; k+3 <= len(w); k++ {
			if w[k-1] == '_' && !isDigit(w[k]) {
				e := k + 1
				for e < len(w) && w[e] != '_' {
					e++
				}
				if e-k >= 3 {
					f |= prefixFacts(w[k:e]) & (fTablet | fTV)
				}
				k = e
			}
		}
	}
	switch orig[0] {
	case 'A':
		if isModelCode(orig, "AFT") {
			f |= fTV // Fire TV: AFTMM, AFTKA, AFTSS, AFTTIFF55...
		}
	case 'K':
		if isModelCode(orig, "KF") {
			f |= fTablet // Fire tablets: KFTRWI, KFMAWI...
		}
	case 'C', 'N', 'P', 'S', 'T':
		if digmaTablet(orig) {
			f |= fTablet
		}
	case 'M':
		if asusTablet(orig) {
			f |= fTablet
		}
	case 'a':
		if isModelCode(orig, "aft") && orig[3] != 'e' {
			f |= fTV // a User-Agent written in lowercase: aftmm (not "after")
		}
	case 'k':
		if isModelCode(orig, "kf") {
			f |= fTablet // kfsuwi
		}
	}
	return f
}

// shapeFacts returns the facts of a word the table does not know from how
// its parts end: device names are often a brand and a kind of device in
// one word ("LGwebOSTV", "VirginMediaSTB", "MagicBox", "HuaweiMediaPad",
// "EVOTAB", "GALAXY_Tab"). w is lowercase; '_' separates its parts, and
// the digits a part ends with are a model number ("PANATV1308"); parts
// says w has a '_'. A part ending in "tv" is a TV's name unless a phone or
// tablet is named too (fTVName); a box, a pad or a tab named as a product
// ("Dropbox/1.0", "Notepad/2") is an app, not a device.
func shapeFacts(w string, product, parts bool) flags {
	if !parts { // one part, as most words are
		e := len(w)
		for e > 0 && isDigit(w[e-1]) {
			e--
		}
		if e >= 3 && shapeEnds[w[e-1]] {
			return partFacts(w[:e], product)
		}
		return 0
	}
	var f flags
	for end := len(w); end > 0; {
		e := end
		for e > 0 && isDigit(w[e-1]) {
			e--
		}
		start := e
		for start > 0 && w[start-1] != '_' {
			start--
		}
		if e-start >= 3 && shapeEnds[w[e-1]] {
			f |= partFacts(w[start:e], product)
		}
		end = start - 1 // before the '_'
	}
	return f
}

// shapeEnds marks the last letters of the parts partFacts knows: stb, tab,
// tv, box, pad, tablet, dongle.
var shapeEnds = [256]bool{'b': true, 'v': true, 'x': true, 'd': true, 't': true, 'e': true}

// partFacts returns the facts of one part of a word (see shapeFacts).
func partFacts(part string, product bool) flags {
	n := len(part)
	switch part[n-1] {
	case 'b':
		switch {
		case strings.HasSuffix(part, "stb"):
			return fTV // set-top box: VirginMediaSTB, Sky_STB_BC7445
		case product:
		case part == "tab", n >= 5 && strings.HasSuffix(part, "tab") && part != "crontab":
			return fTablet // EVOTAB, GALAXY_Tab, IdeaTab
		}
	case 'v':
		switch {
		case strings.Contains(part, "smarttv"):
			return fTV // LGSmartTV, hdplussmarttv
		case n >= 4 && part[n-2] == 't' && part[n-3] != 'i':
			// LGwebOSTV, PANATV, gfibertv; not the Japanese phones with a
			// TV tuner (D903iTV).
			return fTVName
		}
	case 'x':
		if !product && n >= 4 && strings.HasSuffix(part, "box") && !notTVBox(part) {
			return fTV // MagicBox, LinkBox
		}
	case 'd':
		if !product && (part == "pad" || n >= 5 && strings.HasSuffix(part, "pad") && !notTabletPad(part)) {
			return fTablet // HuaweiMediaPad, lepad
		}
	case 't':
		if !product && n >= 6 && strings.HasSuffix(part, "tablet") {
			return fTablet // YONESTablet, Tesla_Tablet_785
		}
	case 'e':
		if !product && strings.HasSuffix(part, "dongle") {
			return fTV // an HDMI dongle: gxt_dongle_3188
		}
	}
	return 0
}

// notTVBox reports whether w, which ends in "box", names something else
// than a TV box (MyDropbox, Inbox).
func notTVBox(w string) bool {
	return hasAnySuffix(w, "dropbox", "inbox", "mailbox", "sandbox", "toolbox", "checkbox", "outbox",
		"jukebox", "postbox", "soapbox", "onebox", "searchbox", "chatbox")
}

// notTabletPad reports whether w, which ends in "pad", names something else
// than a tablet: a laptop, a phone maker, an input device, an app
// (CoolPadCoolpad, ZohoNotepad).
func notTabletPad(w string) bool {
	return hasAnySuffix(w, "notepad", "keypad", "numpad", "gamepad", "thinkpad", "trackpad", "launchpad",
		"scratchpad", "coolpad", "linkpad")
}

func hasAnySuffix(w string, suffixes ...string) bool {
	for _, s := range suffixes {
		if strings.HasSuffix(w, s) {
			return true
		}
	}
	return false
}

// nexusNumber returns the facts of the number after "Nexus".
func nexusNumber(w string) flags {
	switch w {
	case "7", "9", "10":
		return fTablet
	case "4", "5", "6":
		return fMobile
	}
	return 0
}

// endsHost reports whether c may follow a host name.
func endsHost(c byte) bool {
	return lowerWord[c] == 0 && c != '.' && c != '-'
}

// numberFacts returns the facts of a word of digits and letters that
// starts with a digit.
func numberFacts(w string) flags {
	n := len(w)
	if n == 2 && w == "4k" {
		return fTV // a 4K screen or player in a device name: BRAVIA 4K GB, GD1 4K
	}
	if n >= 9 && n <= 11 && w[0] == '2' &&
		(strings.Contains(w, "rp") || strings.HasPrefix(w, "21051182") || strings.HasPrefix(w, "22081283")) {
		return fTablet // Xiaomi Pad and Redmi Pad model numbers: 21051182G, 23073RPBFG
	}
	if n == 5 && w[0] == '9' && (w[1] == '0' || w[1] == '1') && w[2] != '0' &&
		isDigit(w[2]) && isDigit(w[3]) && isLetter(w[4]) {
		return fTablet // Alcatel and TCL tablets: 9024W, 9060X, 9137W (not the 900x phones)
	}
	if n >= 4 && !isDigit(w[n-1]) {
		return nameFacts(w) // 360Spider
	}
	return 0
}

// pairLengths[p] has bit n set when a word of n bytes may state something
// after pair p (see pairSets and pairClears): scan skips the others.
var pairLengths = func() (t [pKinds]uint64) {
	const from4 = ^uint64(0) &^ 0xf // 4 bytes or more
	set := func(p pairKind, lens ...int) {
		for _, n := range lens {
			t[p] |= 1 << uint(n)
		}
	}
	t[pSM], t[pGT], t[pTB], t[pSHW] = from4, from4, from4, from4
	t[pSPH] = ^uint64(0) &^ 0x3 // 2 bytes or more
	t[pM] = ^uint64(0) &^ 0x7   // 3 bytes or more
	set(pLG, 4)
	set(pGo, 4)
	set(pHTTP, 6, 7)
	set(pAWS, 3)
	set(pRest, 6)
	set(pPage, 5)
	set(pApple, 2, 6)
	set(pUp, 4, 7)
	set(pCE, 4)
	set(pWindows, 2, 5)
	set(pMac, 2)
	set(pOpera, 2, 4)
	set(pLarge, 6)
	set(pLinux, 3)
	set(pNexus, 6)
	set(pPixel, 1, 2, 4, 6)
	set(pTablet, 2)
	set(pShield, 6)
	set(pPlayStation, 3, 8)
	set(pNokia, 2, 3)
	set(pBuild, 4)
	set(pAcer, 3)
	set(pM8S, 3, 4)
	set(pNeo, 2, 3)
	set(pHuaweiNum, 4, 5, 6)
	t[pAllview] = ^uint64(0) &^ 0x7 // 3 bytes or more
	t[pOysters] = ^uint64(0) &^ 0x7
	set(pCarrierTab, 4)
	set(pLM, 4)
	set(pFZ, 2, 3, 4)
	set(pInches, 4, 5, 6)
	t[pNS] = ^uint64(0) &^ 0x3f    // 6 bytes or more
	t[pPC] = ^uint64(0) &^ 0xf     // 4 bytes or more
	t[pSharpT] = ^uint64(0) &^ 0x7 // 3 bytes or more
	set(pAquaris, 2, 3)
	set(pOukitel, 3, 4)
	set(pGT, 4)
	t[pHuawei] = ^uint64(0) &^ 0x7 // 3 bytes or more
	return t
}()

// pairFacts adds to f the facts stated by word (as written, at most
// maxWord bytes) read with the pair the word before it opened.
func pairFacts(f flags, p pairKind, word string) flags {
	var b wordBuf
	w := b.lower(word)
	return f&^pairClears(f, p, w) | pairSets(p, w)
}

// pairClears returns the facts word w takes back after pair p, with the
// facts f found before it.
func pairClears(f flags, p pairKind, w string) flags {
	switch {
	case p == pTablet && w == "pc" && f&fAndroid == 0:
		// "Tablet PC 2.0": a Windows laptop with a touch screen; an Android
		// device named "Tablet PC" is a tablet.
		return fTablet
	case p == pShield && w == "tablet":
		return fTV // the SHIELD Tablet, not the SHIELD TV
	case p == pPlayStation && (w == "app" || w == "messages"):
		return fTV // Sony's PlayStation App and PlayStation Messages, on a phone
	}
	return 0
}

// pairSets returns the facts word w states after pair p.
func pairSets(p pairKind, w string) flags {
	switch p {
	case pSM: // Samsung: SM-T, SM-P and SM-X are Galaxy Tabs
		if len(w) >= 4 && (w[0] == 't' || w[0] == 'p' || w[0] == 'x') && isDigit(w[1]) {
			return fTablet
		}
		// SM-G, SM-S, SM-A, SM-N, SM-F, SM-M, SM-E, SM-J, SM-C: Galaxy
		// phones, also in a User-Agent that does not say "Mobile"; but the
		// Galaxy Note 10.1 (SM-N80xx) is a tablet, and the Z Fold (SM-F9xx)
		// is either, as its browser says.
		if len(w) >= 4 && strings.IndexByte("gsanfmejc", w[0]) >= 0 && isDigit(w[1]) && isDigit(w[2]) && isDigit(w[3]) &&
			!(w[0] == 'n' && w[1] == '8') && !(w[0] == 'f' && w[1] == '9') {
			return fMobile
		}
	case pGT: // GT-P (Galaxy Tab), GT-N5/N8 (Galaxy Note 8.0 and 10.1); the phones' codes
		if len(w) >= 4 && (w[0] == 'p' && isDigit(w[1]) || w[0] == 'n' && (w[1] == '5' || w[1] == '8')) {
			return fTablet
		}
		if w == "king" || strings.HasPrefix(w, "b9150") {
			return fTV // Beelink's GT-King boxes; Samsung's HomeSync, a media hub for a TV
		}
		// GT-I (Galaxy S to S4, Mega), GT-S, GT-B, GT-C, GT-E, GT-M and the
		// Galaxy Note phones GT-N7000, GT-N7100, GT-N9000: phones, also in a
		// User-Agent that does not say "Mobile".
		if len(w) >= 5 && (strings.IndexByte("isbcem", w[0]) >= 0 || w[0] == 'n' && (w[1] == '7' || w[1] == '9')) &&
			isDigit(w[1]) && isDigit(w[2]) && isDigit(w[3]) && isDigit(w[4]) {
			return fMobile
		}
	case pCarrierTab:
		// SCH-I705, SCH-I800, SCH-I815, SCH-I905, SCH-I915, SCH-I925
		// (Verizon); SGH-T849,
		// SGH-T859, SGH-T869, SGH-T779 (T-Mobile); SGH-I987, SGH-I957,
		// SGH-I497, SGH-I467 (AT&T). Their other codes are phones.
		switch w {
		case "i705", "i800", "i815", "i905", "i915", "i925", "t849", "t859", "t869", "t779", "i987", "i957", "i497", "i467":
			return fTablet
		}
	case pTB: // Lenovo Tab and Yoga Tab: TB-X606F, TB-J706F, YT-J706X, TB-8504F
		if len(w) >= 4 && (w[0] == 'x' || w[0] == 'j' || w[0] == 'q' || w[0] == 'p' || isDigit(w[0])) && isDigit(w[1]) {
			return fTablet
		}
	case pLG: // LG G Pad: LG-V500, LG-V410 (the V10...V60 phones are shorter)
		if len(w) == 4 && w[0] == 'v' && isDigit(w[1]) {
			return fTablet
		}
	case pGo:
		if w == "http" {
			return fAuto // Go-http-client
		}
	case pHTTP:
		if w == "client" || w == "request" {
			return fAuto // http-client, HTTP_Request
		}
	case pAWS:
		if w == "sdk" {
			return fAuto
		}
	case pRest:
		if w == "client" {
			return fAuto
		}
	case pPage:
		if w == "speed" {
			return fBot // Google Page Speed Insights
		}
	case pApple:
		switch w {
		case "pubsub":
			return fBot
		case "tv":
			return fTV | fAppleTV // AppleCoreMedia/1.0 (Apple TV; CPU OS 16_5 like Mac OS X)
		}
	case pUp:
		if w == "browser" || w == "link" {
			return fFeature // UP.Browser
		}
	case pCE:
		if w == "html" {
			return fTV // CE-HTML, the TV browser profile
		}
	case pWindows:
		switch w {
		case "ce":
			return fMobile
		case "phone":
			return fWinPhone | fMobile
		}
	case pMac:
		if w == "os" {
			return fMac
		}
	case pOpera:
		switch w {
		case "mini":
			return fMobile
		case "tv":
			return fTV
		}
	case pLarge:
		if w == "screen" {
			return fTV
		}
	case pLinux:
		if w == "gnu" {
			return fAuto // x86_64-pc-linux-gnu: a GNU target triple, a compiled tool's
		}
	case pSPH:
		if strings.HasPrefix(w, "p1") {
			return fTablet // Galaxy Tab on Sprint: SPH-P100
		}
	case pSHW:
		if strings.HasPrefix(w, "m180") || strings.HasPrefix(w, "m380") || strings.HasPrefix(w, "m480") || strings.HasPrefix(w, "m500") {
			return fTablet // Galaxy Tab in Korea: SHW-M380S
		}
		// Galaxy Tab 8.9 and 7.7 LTE and Galaxy Note 10.1 LTE in Korea:
		// SHV-E140S, SHV-E150S, SHV-E230K (its other SHV-E codes are
		// phones: SHV-E210S, SHV-E300K, the Galaxy Mega's SHV-E310K).
		if strings.HasPrefix(w, "e140") || strings.HasPrefix(w, "e150") || strings.HasPrefix(w, "e230") {
			return fTablet
		}
	case pM:
		if strings.HasPrefix(w, "mp7") || strings.HasPrefix(w, "mp8") || strings.HasPrefix(w, "mp1") {
			return fTablet // Mediacom SmartPad: M-MP722M
		}
	case pNexus:
		if w == "player" {
			return fTV
		}
	case pPixel:
		switch w {
		case "c", "tablet":
			return fTablet
		case "xl", "fold":
			return fMobile // Pixel XL, Pixel Fold (numbered Pixels: see scan)
		}
	case pHuawei: // BAH3-W09, AGS2-L09, DBY-W09, KOB2-AL00, BTV-DL09, BG2-U03, AGM3-AL09HN
		if len(w) >= 3 && huaweiVariant(w) {
			return fTablet
		}
	case pBuild:
		// Android TV's own builds: PTT1.190515.001, QTG3.200305.006,
		// RTM6.230109.082, STTL.240206.002 (a letter for the Android
		// version, then T and T, G, M or L); phones' are QP1A, SKQ1, TP1A...
		if w[0] >= 'p' && w[0] <= 'u' && w[1] == 't' && (w[2] == 't' || w[2] == 'g' || w[2] == 'm' || w[2] == 'l') {
			return fTV
		}
	case pNokia: // Nokia T10, T20, T21 tablets; the Nokia N1
		if w[0] == 't' && isDigit(w[1]) && isDigit(w[2]) || w == "n1" {
			return fTablet
		}
	case pAcer: // Acer Iconia: A3-A10, B1-A71, B3-A32 (A1-810: see dashNumber)
		if w[0] == 'a' && isDigit(w[1]) && isDigit(w[2]) {
			return fTablet
		}
	case pM8S:
		if w == "pro" || w == "plus" {
			return fTV
		}
	case pNeo: // NEO-X7, NEO-X8H, NEO-U1, NEO-U9-H
		if (w[0] == 'x' || w[0] == 'u') && isDigit(w[1]) {
			return fTV
		}
	case pHuaweiNum: // T1-A21L, T1-A23L, M2-A01L, FDR-A01w (T1-701u: see dashNumber)
		if w[0] == 'a' && isDigit(w[1]) && isDigit(w[2]) && isLetter(w[3]) {
			return fTablet
		}
	case pAllview:
		return allviewTablet(w)
	case pOysters: // Oysters T72HM, T104, T7V (its phones have names: Pacific, Atlantic)
		if w[0] == 't' && isDigit(w[1]) {
			return fTablet
		}
	case pLM: // LM-T600
		if w[0] == 't' && allDigits(w[1:]) {
			return fTablet
		}
	case pAquaris: // Aquaris E10, Aquaris M10, Aquaris M8
		switch w {
		case "e10", "m10", "m8":
			return fTablet
		}
	case pInches:
		if strings.HasPrefix(w, "inch") {
			return fTablet
		}
	case pNS: // NS-P08A7100, NS-P10A6100
		if w[0] == 'p' && isDigit(w[1]) && isDigit(w[2]) && isLetter(w[3]) {
			return fTablet
		}
	case pPC: // PC-TE510KAS, PC-TS508FAM, PC-T1195BAS, PC-TAB08H01
		if w[0] == 't' && (allDigits(w[1:4]) || (w[1] == 'e' || w[1] == 's') && allDigits(w[2:4]) || strings.HasPrefix(w, "tab") && isDigit(w[3])) {
			return fTablet
		}
	case pSharpT: // 4T-C50BN1 (not a phone's name after a OnePlus 8T: C12)
		if len(w) >= 5 && w[0] == 'c' && isDigit(w[1]) && isDigit(w[2]) {
			return fTV
		}
	case pFZ: // FZ-A1, FZ-A1B, FZ-B2
		switch w[:2] {
		case "a1", "a2", "b2":
			if len(w) == 2 || isLetter(w[2]) && (len(w) == 3 || isLetter(w[3])) {
				return fTablet
			}
		}
	case pOukitel: // Oukitel RT1, RT7
		if w[0] == 'r' && w[1] == 't' && isDigit(w[2]) {
			return fTablet
		}
	}
	return 0
}

// chuwiHi reports whether w names one of Chuwi's Hi tablets: Hi8, Hi9Air,
// Hi10, Hi10Pro, Hi10X, Hi12, Hi13 (HiPad is a tablet word).
func chuwiHi(w string) bool {
	if len(w) < 3 || w[0] != 'h' || w[1] != 'i' {
		return false
	}
	r := w[2:]
	switch {
	case strings.HasPrefix(r, "8"), strings.HasPrefix(r, "9"):
		r = r[1:]
	case strings.HasPrefix(r, "10"), strings.HasPrefix(r, "12"), strings.HasPrefix(r, "13"):
		r = r[2:]
	default:
		return false
	}
	switch r {
	case "", "pro", "air", "plus", "x", "xpro":
		return true
	}
	return false
}

// cubeGT reports whether w is one of Cube's tablet codes: U, a number,
// GT, and at most a digit after (U30GT, U9GT, U30GT2).
func cubeGT(w string) bool {
	i := 1
	for i < len(w) && isDigit(w[i]) {
		i++
	}
	return i > 1 && i <= 3 && strings.HasPrefix(w[i:], "gt") && len(w) <= i+3 && (len(w) == i+2 || isDigit(w[i+2]))
}

// allviewTablet returns fTablet when w, after "Allview" (or in one word
// with it), names one of Allview's tablet lines: Viva (Viva H8, Viva
// i7G), Speed and Speedi, City, the Wi series (Wi7, Wi10N) and the AX
// series (AX4 Nano); its phones are the A, E, P, V and X series.
func allviewTablet(w string) flags {
	p := strings.HasPrefix
	switch {
	case p(w, "viva"), p(w, "speed"), p(w, "city"),
		len(w) >= 3 && (p(w, "wi") || p(w, "ax")) && isDigit(w[2]):
		return fTablet
	}
	return 0
}

// huaweiVariant reports whether w is the variant part of a Huawei or Honor
// model code: W, L, U, AL, DL or AN, then digits, then letters at most
// (w09, l09, u03, al00, dl09, al09hn).
func huaweiVariant(w string) bool {
	i := 1
	if (w[0] == 'a' || w[0] == 'd') && (w[1] == 'l' || w[1] == 'n') {
		i = 2
	} else if w[0] != 'w' && w[0] != 'l' && w[0] != 'u' {
		return false
	}
	if i >= len(w) || !isDigit(w[i]) {
		return false
	}
	for i < len(w) && isDigit(w[i]) {
		i++
	}
	for ; i < len(w); i++ {
		if !isLetter(w[i]) {
			return false
		}
	}
	return true
}

// nameFacts returns the facts of a word the table does not know, from what
// it is made of: automated clients name themselves ...bot, ...crawler,
// ...spider, ...scraper, link checker, site monitor, feed fetcher. The word
// is read once; stemStart lets most positions go by with one test. Words
// with digits in them are model and build codes as often as names, so the
// weaker stems (check, scan, fetch, feed...) count only in words without
// digits, and only as fAuto.
func nameFacts(w string) flags {
	weak := false
	for i := 0; i+3 <= len(w); i++ {
		if stemStart[w[i]]>>(w[i+1]&31)&1 == 0 {
			continue
		}
		r := w[i:]
		switch r[0] {
		case 'b':
			// ...bot, ...bot2, ...bot_: a bot at the end of a name, not
			// "botanic" or "bottom".
			if r[2] == 't' && (len(r) == 3 || !isLetter(r[3])) && !(i >= 2 && w[i-2:i] == "cu") {
				return fBot // not Cubot, a phone maker (CUBOT_NOTE_20_PRO)
			}
		case 'c':
			if strings.HasPrefix(r, "crawl") {
				return fBot
			}
			weak = weak || strings.HasPrefix(r, "check")
		case 's':
			if strings.HasPrefix(r, "spider") || strings.HasPrefix(r, "scrap") {
				return fBot
			}
			weak = weak || strings.HasPrefix(r, "scan") || i == 0 && r[1] == 'e' && r[2] == 'o'
		case 'r':
			if strings.HasPrefix(r, "robot") && !strings.HasPrefix(r[5:], "ic") {
				return fBot // not a maker of robotics (SEI Robotics' TV boxes)
			}
			weak = weak || r[1] == 's' && r[2] == 's'
		case 'h':
			if strings.HasPrefix(r, "headless") || strings.HasPrefix(r, "harvest") {
				return fBot
			}
		case 'a':
			if strings.HasPrefix(r, "archiv") {
				return fBot
			}
		case 'v':
			if strings.HasPrefix(r, "validat") || strings.HasPrefix(r, "verif") {
				return fBot
			}
		case 'f':
			weak = weak || strings.HasPrefix(r, "fetch") || strings.HasPrefix(r, "feed")
		case 'm':
			weak = weak || strings.HasPrefix(r, "monitor")
		case 'p':
			weak = weak || strings.HasPrefix(r, "probe") || strings.HasPrefix(r, "preview") || strings.HasPrefix(r, "proxy")
		case 'i':
			weak = weak || strings.HasPrefix(r, "indexer") || strings.HasPrefix(r, "inspector")
		case 'o':
			weak = weak || strings.HasPrefix(r, "observatory") // Mozilla's, Cloudflare's site checkers
		case 'e':
			weak = weak || strings.HasPrefix(r, "extract")
		case 'd':
			weak = weak || strings.HasPrefix(r, "download") || strings.HasPrefix(r, "diagnostic")
		case 'u':
			weak = weak || strings.HasPrefix(r, "uptime")
		}
	}
	var f flags
	if weak && !hasDigit(w) {
		f = fAuto
	}
	if len(w) > 7 && strings.HasSuffix(w, "android") {
		f |= fAndroid // MastodonAndroid, TwitterAndroid
	}
	return f
}

// nameStems are the stems nameFacts looks for.
const nameStems = `bot crawl check spider scrap scan seo robot rss headless harvest archiv validat verif fetch feed
	monitor probe preview proxy indexer inspector observatory extract download diagnostic uptime android`

// stemStart[c] has bit c2&31 set when c, c2 may start a stem.
var stemStart = func() (t [256]uint32) {
	for _, s := range strings.Fields(nameStems) {
		t[s[0]] |= 1 << (s[1] & 31)
	}
	return t
}()

func hasDigit(w string) bool {
	for i := 0; i < len(w); i++ {
		if isDigit(w[i]) {
			return true
		}
	}
	return false
}

// prefixFacts returns the facts of words known by how they start. It
// dispatches on the first byte, so a word costs a few comparisons.
func prefixFacts(w string) flags {
	p := strings.HasPrefix
	switch w[0] {
	case 'a':
		switch {
		case p(w, "a95x"), p(w, "aquos"), p(w, "aminet"), // Amino's set-top boxes: Aminet/2.0
			p(w, "aplix"): // Aplix's browsers of consoles and TVs: Aplix_SEGASATURN_browser, Aplix_SANYO_browser
			return fTV
		case p(w, "allview"):
			return allviewTablet(w[7:]) // AllviewCity, AllviewSpeedi
		case len(w) > 7 && p(w, "archos_") && isDigit(w[7]):
			e := 7
			for e < len(w) && isDigit(w[e]) {
				e++
			}
			return modelNumber(pArchos, w[7:e]) // Archos_80_Helium_4G
		case (len(w) == 5 || len(w) == 6) && w[len(w)-2] == 'i' && w[len(w)-1] == 't' && allDigits(w[1:len(w)-2]):
			return fTablet // Archos' internet tablets: A28IT, A43IT, A70IT, A101IT
		case len(w) == 5 && p(w, "at") && isDigit(w[2]) && isDigit(w[3]) && isDigit(w[4]),
			w == "at7", w == "at10", w == "at10le", w == "at10pe", w == "at15", w == "at1s0", // Toshiba Excite: AT7-C, AT10LE-A
			p(w, "a2107"), p(w, "a2109"), p(w, "a5500"), p(w, "a7600"):
			return fTablet // Toshiba AT100-AT300; Lenovo IdeaTab A2107, A2109, A5500, A7600
		case p(w, "alcatel"):
			return fFeature
		}
	case 'b':
		switch {
		case p(w, "beelink"), p(w, "b860h"), p(w, "b860a"):
			return fTV // Beelink boxes; ZTE's B860H and B860AV IPTV boxes
		case p(w, "b6000"), p(w, "b8000"), p(w, "b8080"):
			return fTablet // Lenovo Yoga Tablet 8 and 10
		}
	case 'c':
		switch {
		case p(w, "cygwin"):
			return fWindows
		case p(w, "ciscobrowser"), p(w, "cm201"), p(w, "cm211"),
			p(w, "cvte"): // CVTE's TV mainboards: CVTE_MSD338_4G
			return fTV // Cisco's set-top box browser; China Mobile's CM201 and CM211 IPTV boxes
		}
	case 'd':
		switch {
		case p(w, "darwin"):
			return fDarwin
		case p(w, "dvb"), p(w, "dreamlink"),
			len(w) >= 5 && p(w, "diw3") && isDigit(w[4]): // Technicolor's operator boxes: DIW387, DIW3930
			return fTV // DVB receivers: DVB-T2, DVB-S2 boxes
		}
	case 'e':
		switch {
		case p(w, "espial"), p(w, "ec6108"), p(w, "ec6109"), p(w, "ec6110"), p(w, "ec2108"),
			len(w) >= 7 && p(w, "e900v2") && isDigit(w[6]): // Skyworth's IPTV boxes: E900V21C, E900V22D
			return fTV // EspialTVBrowser; Huawei's EC6108, EC6109, EC6110 and EC2108 IPTV boxes
		case p(w, "ebrd"):
			return fTablet // Sony Reader: EBRD1101
		case p(w, "ericsson"):
			return fFeature // Ericsson's phones: EricssonT39/R202, EricssonR320/R1A
		}
	case 'h':
		switch {
		case p(w, "h96") && (len(w) == 3 || !isDigit(w[3])), p(w, "hk1"), // the H96 and HK1 families of boxes (not LG's H960, H961N)
			p(w, "histb"),                            // HiSilicon's set-top box platform: HiSTBAndroidV5
			p(w, "hg680"),                            // Fiberhome's HG680 IPTV boxes
			p(w, "h313"), p(w, "h616"), p(w, "h618"): // Allwinner's TV box processors
			return fTV
		case p(w, "htc_flyer"):
			return fTablet // HTC_Flyer_P512
		case p(w, "htc_"):
			return fFeature
		case len(w) >= 6 && (p(w, "hi3798") || p(w, "hi3796") || p(w, "hi3716")):
			return fTV // HiSilicon's set-top box processors
		case letteredTVModel(w):
			return fTV // Hisense's and Haier's TV sets: H50A6100UK, HE55A6103FUWTS, H55K66UG
		}
	case 'i':
		switch {
		case p(w, "ipad"):
			return fIPad | fTablet // Apple-iPad2C2
		case p(w, "iphone"), p(w, "ipod"):
			return fIOS | fMobile
		case p(w, "iplay") && (len(w) == 5 || w[5] == '_' || isDigit(w[5])):
			return fTablet // Alldocube's iPlay tablets: iPlay_60, iPlay50 (not BBC's iplayer)
		case len(w) >= 4 && p(w, "iph") && allDigits(w[3:]):
			return fIOS | fMobile // UC Browser's iPhone ids: "dv(iPh12,1);pr(UCBrowser/13.8.4.1696)"
		case p(w, "ideatab"):
			return fTablet // IdeaTabA1000
		}
	case 'k':
		switch {
		case len(w) == 4 && (p(w, "k00") || p(w, "k01")):
			return fTablet // Asus MeMO Pad
		case len(w) >= 3 && p(w, "km") && isDigit(w[2]) && (len(w) == 3 || isLetter(w[3])):
			return fTV // Mecool KM1 to KM9 boxes: KM3, KM8, KM9PRO
		}
	case 'l':
		if p(w, "lgu") || len(w) >= 5 && p(w, "lg") || isDigit(w[2]) && p(w, "lg") {
			return fFeature
		}
		if letteredTVModel(w) {
			return fTV // Haier's LE55K6600G
		}
	case 'm':
		switch {
		case p(w, "mxq"), p(w, "mecool"), p(w, "mibox"), p(w, "mitv"),
			p(w, "mxiii"), p(w, "mx9"), p(w, "minim8s"), // the MXQ, MXIII, MX9 and M8S families of boxes
			p(w, "mk802"), p(w, "mk808"), p(w, "mk90"), // HDMI sticks: MK802, MK808, MK903V, MK908
			p(w, "mstar"),                    // MStar's TV processors: MStar_Android_TV
			p(w, "mgv2000"), p(w, "mgv3000"), // China Mobile's MGV IPTV boxes: MGV2000-K, MGV3000-YS
			// MediaTek's TV processors (MT5862, MT9612, MT9638; its phones'
			// are MT6xxx, its tablets' MT81xx and MT83xx) and MStar's
			// (MSD6A648, MSD3393)
			len(w) >= 6 && (p(w, "mt58") || p(w, "mt96")) && isDigit(w[4]) && isDigit(w[5]),
			len(w) >= 6 && (p(w, "msd3") || p(w, "msd6")):
			return fTV
		case len(w) > 3 && p(w, "mid") && (isDigit(w[3]) || w[3] == 'c'):
			return fTablet // MID7015, MIDC700PR001
		case p(w, "mac_"):
			return fMac
		case p(w, "minia5x"):
			return fTV // MiniA5X boxes
		case p(w, "m2105k81"),
			len(w) >= 6 && (p(w, "mt81") || p(w, "mt83")) && isDigit(w[4]) && isDigit(w[5]),   // MediaTek's tablet processors: MT8127, MT8163, MT8382
			len(w) >= 7 && (p(w, "mtk81") || p(w, "mtk83")) && isDigit(w[5]) && isDigit(w[6]): // and as MTK8382
			return fTablet // Xiaomi Pad 5 Pro: M2105K81AC, M2105K81C
		case len(w) >= 5 && p(w, "mz6") && (w[3] == '0' || w[3] == '1') && isDigit(w[4]):
			return fTablet // Motorola Xoom and Xyboard: MZ601, MZ604, MZ617
		}
	case 'n':
		switch {
		case p(w, "nxm"), p(w, "novo"), p(w, "nabi"), // nabi: Fuhu's children's tablets
			nextbookQC(w): // Nextbook's quad-core tablets: NX785QC8G, NXA8QC116, NXW10QC32G
			return fTablet
		case p(w, "netbox"):
			return fTV // Netgem's set-top boxes
		case p(w, "nokia"), p(w, "nttdocomo"): // NTTDoCoMo SH900i
			return fFeature
		}
	case 'o':
		switch {
		case p(w, "opd2"), w == "onda", p(w, "onda_"),
			len(w) >= 4 && p(w, "okt") && isDigit(w[3]): // Oukitel's tablets: OKT1, OKT3
			return fTablet // OnePlus Pad, Oppo Pad; Onda tablets (ONDA_VI10; not OndaCero)
		case w == "ott":
			return fTV // an over-the-top TV box: OTT-G1
		case p(w, "obigo"):
			return fFeature
		}
	case 'p':
		switch {
		case p(w, "pov_tv"), p(w, "playstation"):
			return fTV
		case p(w, "pantech"):
			return fFeature // Pantech's phones: PantechP7040, Pantech-PG-1400
		case len(w) == 4 && w[1] == '2' && (w == "p200" || w == "p201" || w == "p212" || w == "p230" || w == "p231" || w == "p281"):
			return fTV // Amlogic's reference TV boxes, whose names their copies keep: p212, p281
		case len(w) == 6 && p(w, "pa2") && allDigits(w[3:]):
			return fTablet // vivo Pad: PA2170, PA2373 (vivo's phones are V2xxx and I2xxx)
		case p(w, "pov_tab"), p(w, "pg41200"), teclastHD(w), // Teclast P20HD, P40HD
			len(w) > 4 && p(w, "pmid") && isDigit(w[4]),                                   // Polaroid: PMID701i
			len(w) == 4 && (p(w, "p00") || p(w, "p01") || p(w, "p02")),                    // Asus ZenPad
			len(w) >= 7 && (p(w, "pmp") || p(w, "pmt")) && isDigit(w[3]) && isDigit(w[6]), // Prestigio MultiPad: PMP5080B, PMT3047_3G
			len(w) >= 7 && p(w, "plt") && allDigits(w[3:7]):                               // Proscan's tablets: PLT7223G, PLT1066
			return fTablet
		}
	case 'r':
		switch {
		case p(w, "roku"):
			return fTV
		case p(w, "rmp2"),
			p(w, "rk2818"), p(w, "rk29"), p(w, "rk30"): // Rockchip's tablet processors
			return fTablet // Realme Pad
		case p(w, "rk3228"), p(w, "rk3229"), p(w, "rk3318"), p(w, "rk3328"),
			len(w) >= 7 && p(w, "rtd1") && allDigits(w[4:7]): // Realtek's media player processors: RTD1295, RTD1619
			return fTV // Rockchip's TV box processors
		case len(w) >= 6 && p(w, "rct6"):
			return fTablet // RCA Voyager tablets: RCT6773W22, RCT6K03W13
		case p(w, "readboy"):
			return fTablet // Readboy's learning tablets: Readboy_G50, Readboy_C26Pro
		}
	case 's':
		switch {
		case p(w, "smarttv"), p(w, "sonydtv"), p(w, "sagemcom"),
			// Amlogic's TV box processors: S802, S805, S812, S905X, S912, S922X
			p(w, "s802"), p(w, "s805"), p(w, "s812"), p(w, "s905"), p(w, "s912"), p(w, "s922"),
			p(w, "sunniwell"), // Sunniwell IPTV boxes
			len(w) >= 6 && p(w, "sei") && allDigits(w[3:6]): // SEI Robotics' operator boxes: SEI400, SEI530
			return fTV
		case p(w, "smarttab"), len(w) > 3 && isDigit(w[3]) && p(w, "sgp"), // Sony Xperia Tablet SGP311
			p(w, "softwin"), // Allwinner's reference tablets: SoftwinerEvb, softwinners
			len(w) >= 7 && p(w, "st") && allDigits(w[2:7]), // TrekStor SurfTab: ST10216-2, ST70104
			p(w, "sgpt1"), p(w, "sgpt2"), // Sony Tablet S and P: SGPT12, SGPT211
			p(w, "s6000"), p(w, "s5000"): // Lenovo IdeaTab S6000, S5000
			return fTablet
		case p(w, "sonyericsson"), p(w, "symbian"), p(w, "series40"), p(w, "series60"), p(w, "samsung_sgh"), p(w, "samsungsgh"):
			return fFeature
		}
	case 't':
		switch {
		case p(w, "tanix"), p(w, "tvbox"),
			p(w, "t95") && (len(w) == 3 || isLetter(w[3])), // T95 boxes: T95X, T95Z Plus, T95K Pro (not Samsung's T959)
			// Tanix TX2 to TX9 (TX3mini, TX6S); not the tablets TX17 and TX68
			len(w) >= 3 && w[1] == 'x' && w[2] >= '2' && w[2] <= '9' && (len(w) == 3 || isLetter(w[3])):
			return fTV
		case len(w) > 3 && isDigit(w[3]) && p(w, "tab"), // TAB260, Tab2A7
			len(w) >= 4 && isDigit(w[2]) && isDigit(w[3]) && p(w, "tz"), // Irbis TZ tablets: TZ70, TZ150
			len(w) > 3 && isDigit(w[2]) && p(w, "tb"),                   // Lenovo TB350FU
			zekiTablet(w), // Zeki's tablets: TBDG773, TBQG884, TBD1083
			teclastHD(w):  // Teclast T45HD
			return fTablet
		case len(w) == 7 && p(w, "tpm") && isDigit(w[3]) && isDigit(w[4]) && isDigit(w[5]) && isLetter(w[6]):
			return fTV // Philips (TP Vision) Android TVs: TPM171E, TPM191E
		case p(w, "technicolor"):
			return fTV // Technicolor set-top boxes: Technicolor_DXI807FT
		case p(w, "tox1"):
			return fTV // TOX1 boxes
		case len(w) >= 5 && len(w) <= 7 && p(w, "tf") && allDigits(w[2:5]) && !hasDigit(w[5:]), p(w, "tegranote"):
			return fTablet // Asus Transformer: TF101, TF300T, TF700T; NVIDIA Tegra Note
		}
	case 'q':
		switch {
		case len(w) == 6 && (p(w, "qm1") || p(w, "qv1")) && isDigit(w[3]) && isDigit(w[4]) && w[5] == 'e':
			return fTV // Philips (TP Vision) Android TVs of 2015-16: QM152E, QV151E
		case len(w) >= 5 && p(w, "qta") && isLetter(w[3]):
			return fTablet // Verizon's Ellipsis tablets, made by Quanta: QTAQZ3, QTAIR7
		case w == "q200" || w == "q201":
			return fTV // Amlogic's S912 reference boxes, whose names their copies keep
		}
	case 'v':
		switch {
		case p(w, "v88") && boxSuffix(w[3:]), p(w, "vorke"):
			return fTV // V88 boxes (V88, V88 Pro, V88mini), Vorke boxes; not ZTE's V880 phones
		case w == "vk700", w == "vk810", w == "vk815":
			return fTablet // LG G Pad on Verizon (VK Mobile's phones are VK200 to VK900)
		}
	case 'u':
		switch {
		case p(w, "ugoos"),
			len(w) >= 6 && p(w, "unt40") && isDigit(w[5]): // Unionman's IPTV boxes: UNT400B, UNT401H
			return fTV
		case p(w, "ucweb"), p(w, "ucbrowser"):
			return fFeature
		case p(w, "ubislate"), cubeGT(w):
			return fTablet // Datawind UbiSlate: UBISLATE7C+; Cube: U30GT, U27GT
		case len(w) >= 5 && p(w, "uiw4") && isDigit(w[4]):
			return fTV // Technicolor's operator Android TV boxes: UIW4020, UIW4060
		case w == "u211" || w == "u212":
			return fTV // Amlogic's S905X2 reference boxes
		}
	case 'w':
		if p(w, "wap") {
			return fFeature
		}
	case 'x':
		switch {
		case p(w, "xbox"), p(w, "x96"), p(w, "xtreamer"),
			(p(w, "x88") || p(w, "x92")) && boxSuffix(w[3:]): // X88 and X92 boxes: X88, X88Pro, X88 King, X92
			return fTV
		case p(w, "xoom"), p(w, "xelio"): // Odys Xelio: XELIO, XELIOPT2
			return fTablet
		}
	case 'y':
		switch {
		case p(w, "youview"):
			return fTV // YouView set-top boxes: YouViewHTML/1.0
		case p(w, "yundoo"):
			return fTV // Yundoo boxes: YUNDOO-Y8
		case len(w) == 3 && w[1] == 't' && isDigit(w[2]):
			return fTablet // Lenovo Yoga Tab 3: YT3-850F
		}
	case 'z':
		switch {
		case p(w, "zidoo"):
			return fTV
		case asusZenPad(w):
			return fTablet
		}
	case 'g':
		switch {
		case len(w) > 3 && p(w, "gtv") && allDigits(w[3:]):
			return fTV // Google TV sets and players: GTV100
		case p(w, "gxl_"), p(w, "gxm_"), p(w, "gxbb_"), w == "g18ref":
			return fTV // Amlogic's TV box platforms: gxl_p281, gxm_q201; its M8 reference box, g18ref
		}
	}
	return 0
}

// teclastHD reports whether w is one of Teclast's HD tablets: P or T, two
// digits, HD, perhaps a region (P20HD, P30HD_EEA, P40HD, T45HD).
func teclastHD(w string) bool {
	return len(w) >= 5 && (w[0] == 'p' || w[0] == 't') && isDigit(w[1]) && isDigit(w[2]) && w[3:5] == "hd" &&
		(len(w) == 5 || w[5] == '_')
}

// nokiaTablet reports whether w, the number of a Nokia TA- code, is one of
// its tablets' (T20: TA-1392, TA-1394, TA-1397; T10: TA-1457, TA-1462,
// TA-1472, TA-1503, TA-1512).
func nokiaTablet(w string) bool {
	switch w {
	case "1392", "1394", "1397", "1457", "1462", "1472", "1503", "1512":
		return true
	}
	return false
}

// letteredTVModel reports whether w is a TV's model code behind its brand's
// letters: Hisense's H and HE (H50A6100UK, H43B7100, HE55A6103FUWTS),
// Haier's H and LE (H55K66UG, LE55K6600G), then a screen size, the
// series' letters and digits as tvModel reads them. Hisense's phones are H
// and two digits alone (H40), LG's H and three (H870), Sony's Xperia codes
// H and four (H8324): no screen size and series follow.
func letteredTVModel(w string) bool {
	switch {
	case len(w) > 2 && (w[:2] == "he" || w[:2] == "le"):
		return tvModelShape(w[2:]) // the brand's letters rule out a hexadecimal number
	case w[0] == 'h':
		return tvModelShape(w[1:])
	}
	return false
}

// asusZenPad reports whether w is an Asus ZenPad model code: Z170, Z300,
// Z301, Z370, Z380, Z500, Z580 or Z581, then one to three letters
// (Z300C, Z380KL, Z500M, Z581KL). Asus' ZenFone codes start Z0 (Z00AD,
// Z012D), ZTE's phones with other numbers (Z557BL, Z851M).
// afterSemicolon reports whether the word at start stands where Android's
// device model does: after ";" or "; ", perhaps after a brand's name
// ("; Hisense WhaleyTV"), not after a product token ("Safari/537.36 MyTV").
func afterSemicolon(ua string, start int) bool {
	opens := func(i int) bool { // a part of a parenthesis opens before ua[i]
		return i >= 1 && ua[i-1] == ';' || i >= 2 && ua[i-1] == ' ' && ua[i-2] == ';'
	}
	if opens(start) {
		return true
	}
	if start < 2 || ua[start-1] != ' ' {
		return false
	}
	b := start - 1
	for b > 0 && (isLetter(ua[b-1]) || isDigit(ua[b-1])) {
		b--
	}
	return b < start-1 && opens(b)
}

// lettersThenDigits reports whether w is letters, perhaps followed by
// digits (BeyondTV3), and nothing else.
func lettersThenDigits(w string) bool {
	i := 0
	for i < len(w) && isLetter(w[i]) {
		i++
	}
	return i > 0 && (i == len(w) || allDigits(w[i:]))
}

// nextbookQC reports whether w is one of Nextbook's tablet codes that name
// a quad-core processor and the storage: NX, the model, QC and gigabytes
// (NX785QC8G, NXA8QC116, NXW10QC32G).
func nextbookQC(w string) bool {
	if len(w) < 7 || w[0] != 'n' || w[1] != 'x' {
		return false
	}
	i := strings.Index(w[3:], "qc") + 3
	return i >= 3 && i+2 < len(w) && isDigit(w[i+2]) && hasDigit(w[2:i])
}

// zekiTablet reports whether w is one of Zeki's tablet codes: TBD or TBQ,
// perhaps a letter, and three or four digits (TBDG773, TBQC1063, TBD1083).
func zekiTablet(w string) bool {
	if len(w) < 6 || len(w) > 9 || w[0] != 't' || w[1] != 'b' || w[2] != 'd' && w[2] != 'q' {
		return false
	}
	i := 3
	if isLetter(w[i]) {
		i++
	}
	d := i
	for i < len(w) && isDigit(w[i]) {
		i++
	}
	return i-d >= 3 && i-d <= 4 && (i == len(w) || i == len(w)-1 && isLetter(w[i]))
}

func asusZenPad(w string) bool {
	if len(w) < 5 || len(w) > 7 {
		return false
	}
	switch w[1:4] {
	case "170", "300", "301", "370", "380", "500", "580", "581":
	default:
		return false
	}
	for k := 4; k < len(w); k++ {
		if !isLetter(w[k]) {
			return false
		}
	}
	return true
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return len(s) > 0
}

// boxSuffix reports whether s, what follows a TV box family's name in one
// word, is nothing or one of the names box makers add (X88Pro, X88King).
func boxSuffix(s string) bool {
	switch s {
	case "", "pro", "king", "mini", "plus", "max":
		return true
	}
	return false
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func isLetter(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }

// isAddress reports whether s starts with a mail domain: letters, digits
// and hyphens, a dot, a letter.
func isAddress(s string) bool {
	j := 0
	for j < len(s) && (lowerWord[s[j]] != 0 || s[j] == '-') {
		j++
	}
	return j > 0 && isLetter(s[0]) && j+1 < len(s) && s[j] == '.' && isLetter(s[j+1])
}

// isModelCode reports whether word is a device model code starting with
// prefix (4 to 9 letters and digits, a letter first after the prefix; 10
// or 11 when it ends in a digit, as the Fire TV Edition sets' AFTEAMR311),
// written in the case of prefix: AFTMM, or aftmm in a User-Agent written in
// lowercase.
func isModelCode(word, prefix string) bool {
	if len(word) < 4 || len(word) > 11 || len(word) > 9 && !isDigit(word[len(word)-1]) || !strings.HasPrefix(word, prefix) {
		return false
	}
	lo, hi := byte('A'), byte('Z')
	if prefix[0] >= 'a' {
		lo, hi = 'a', 'z'
	}
	if c := word[len(prefix)]; c < lo || c > hi {
		return false
	}
	for i := len(prefix) + 1; i < len(word); i++ {
		if c := word[i]; (c < lo || c > hi) && !isDigit(c) {
			return false
		}
	}
	return true
}

// wapName reports whether a name joins a feature phone's model and its
// WAP browser: Sansui_S45_Wap (Browser), Ziox_ZX26_wap_browser.
func wapName(w string) bool {
	if hasSuffixFold(w, "_wap") {
		return true
	}
	for i := 1; i+5 <= len(w); i++ {
		if w[i] == '_' && w[i+4] == '_' && strings.EqualFold(w[i+1:i+4], "wap") {
			return true
		}
	}
	return false
}

func hasSuffixFold(s, suffix string) bool {
	return len(s) >= len(suffix) && strings.EqualFold(s[len(s)-len(suffix):], suffix)
}

// androidDeviceName returns the device's name in an Android User-Agent:
// what follows "Android <version>; " up to " Build/", ';' or ')'
// ("(Linux; Android 11; LT-43NF8020S Build/RP1A.200720.011; wv)"), or ""
// when there is none.
func androidDeviceName(ua string) string {
	i := strings.Index(ua, "Android ")
	if i < 0 {
		return ""
	}
	i += len("Android ")
	if i >= len(ua) || !isDigit(ua[i]) {
		return ""
	}
	for i < len(ua) && (isDigit(ua[i]) || ua[i] == '.') {
		i++
	}
	if i >= len(ua) || ua[i] != ';' {
		return ""
	}
	i++
	for i < len(ua) && ua[i] == ' ' {
		i++
	}
	if n := localeLen(ua[i:]); n > 0 {
		// "Android 4.1.2; en-us; MODEL Build/...": the model is after the
		// language.
		i += n
		for i < len(ua) && ua[i] == ' ' {
			i++
		}
	}
	for j := i; j < len(ua); j++ {
		switch ua[j] {
		case ';', ')':
			return ua[i:j]
		case ' ':
			if strings.HasPrefix(ua[j:], " Build/") {
				return ua[i:j]
			}
		}
	}
	return ua[i:]
}

// localeLen returns the length of a language tag and the ';' after it
// at the start of s ("en-us;", "zh_CN;", "ru;"), or 0.
func localeLen(s string) int {
	if len(s) < 3 || !isLower(s[0]) || !isLower(s[1]) {
		return 0
	}
	i := 2
	if s[i] == '-' || s[i] == '_' {
		i++
		j := i
		for i < len(s) && i-j < 4 && isLetter(s[i]) {
			i++
		}
		if i-j < 2 {
			return 0
		}
	}
	if i < len(s) && s[i] == ';' {
		return i + 1
	}
	return 0
}

func isLower(c byte) bool { return 'a' <= c && c <= 'z' }

// tvDeviceName reports whether an Android device's name (or its
// Sec-CH-UA-Model value) is a TV's, by the parts TV makers build their
// names from, apart at spaces, hyphens and underscores:
//   - a model code with the screen size in it after at most four letters
//     (a brand's or a line's: H-LED75BU7005, TD43UFBSV1, LT-43NF8020S,
//     HTV-55U11B-VS, C50USY24F), then capitals and digits, a capital first
//     and a digit among them (see sizeCode);
//   - "Shell", the name of a TV platform the brands put before the panel's
//     code (Mystery Shell 536D400XF31_FHD, JVC Shell ...);
//   - the size and two to four capitals, then a part that starts with
//     three digits (40LEX_7171_FTS2C, 55LEX-8158), or the size and
//     capitals with SMART, UHD or FHD among them, after nothing or three
//     letters or more (ELED-43SMART, HIBERG55YUHD; not Acer's tablet
//     B3-A40FHD);
//   - "Box", "TVBox" or "STB" after the brand (KM9_TV_BOX, rk3128_box),
//     "ATV" (an Android TV build: GTKing_AT_ATV);
//   - "4K" or "8K", alone or after two letters or more (AS_4K_CI, AS4K,
//     Cinema4K; not the phones' codes that end in a digit and K, SO-04K,
//     5044K);
//   - "Smart TV" in parts (VESTA_SMART_TV);
//   - Yandex's TVs, TV modules and the stations that plug into a TV:
//     YNDX- and five digits (its phone is YNDX-000SB);
//
// unless a part ends in "pad" or "tab", which names a tablet.
//
// Phones' codes with a TV size in them go on with a digit (Samsung's
// SM-A325F, LG's LM-V405) or end in one letter (LG K50S); those written
// with small letters (Lenovo K50a40, ARCHOS 70it2) are not read as TVs.
func tvDeviceName(name string) bool {
	if len(name) == 10 && strings.HasPrefix(name, "YNDX-") && allDigits(name[5:]) {
		return true
	}
	tv, sizeLetters, smart := false, false, false
	for first := true; name != ""; first = false {
		k := 0
		for k < len(name) && name[k] != ' ' && name[k] != '-' && name[k] != '_' {
			k++
		}
		part := name[:k]
		switch {
		case len(part) >= 3 && (hasSuffixFold(part, "pad") || hasSuffixFold(part, "tab")):
			return false // a tablet's name: Mediacom's SmartPad 85S23G
		case sizeLetters && len(part) >= 3 && isDigit(part[0]) && isDigit(part[1]) && isDigit(part[2]):
			tv = true
		case len(part) == 2:
			tv = tv || smart && ascii.EqualLower(part, "tv") // VESTA_SMART_TV
		case len(part) == 3:
			tv = tv || !first && (ascii.EqualLower(part, "box") || ascii.EqualLower(part, "stb") || ascii.EqualLower(part, "atv"))
		case len(part) == 5:
			tv = tv || ascii.EqualLower(part, "shell") || !first && ascii.EqualLower(part, "tvbox")
		}
		sizeLetters = false
		if i := tvSize(part, 6); i >= 0 {
			tv = tv || sizeCode(part, i) || sizeWords(part, i)
			sizeLetters = sizeThenCapitals(part, i)
		}
		tv = tv || ultraHD(part)
		smart = ascii.EqualLower(part, "smart")
		if k == len(name) {
			break
		}
		name = name[k+1:]
	}
	return tv
}

// tvSize returns where the screen size in part starts: after at most max
// letters, two digits that are a size TVs are made in; or -1.
func tvSize(part string, max int) int {
	if len(part) < 4 {
		return -1
	}
	i := 0
	for i < len(part) && i <= max && isLetter(part[i]) {
		i++
	}
	if i > max || i+2 > len(part) || !isDigit(part[i]) || !isDigit(part[i+1]) || !tvSizes[(part[i]-'0')*10+part[i+1]-'0'] {
		return -1
	}
	return i
}

// sizeThenCapitals reports whether part, whose TV screen size starts at
// i, is at most four letters, the size and two to four capitals (40LEX,
// 55LEX): a TV's code whose number comes in the next part.
func sizeThenCapitals(part string, i int) bool {
	if i > 4 {
		return false
	}
	rest := part[i+2:]
	if len(rest) < 2 || len(rest) > 4 {
		return false
	}
	for j := 0; j < len(rest); j++ {
		if rest[j] < 'A' || rest[j] > 'Z' {
			return false
		}
	}
	return true
}

// sizeWords reports whether part, whose TV screen size starts at i, is
// nothing or three to six letters, the size and capitals with SMART, UHD
// or FHD among them (43SMART, HIBERG55YUHD).
func sizeWords(part string, i int) bool {
	if i == 1 || i == 2 {
		return false
	}
	rest := part[i+2:]
	for j := 0; j < len(rest); j++ {
		if rest[j] < 'A' || rest[j] > 'Z' {
			return false
		}
	}
	return strings.Contains(rest, "SMART") || strings.Contains(rest, "UHD") || strings.Contains(rest, "FHD")
}

// sizeCode reports whether part, whose TV screen size starts at i (see
// tvSize), is a TV's model code: at most four letters, the size, then at
// least three capitals and digits, a capital first (not an A or a T
// followed by a digit), a digit among them.
func sizeCode(part string, i int) bool {
	if i > 4 || i+5 > len(part) {
		return false
	}
	rest := part[i+2:]
	if rest[0] < 'A' || rest[0] > 'Z' || (rest[0] == 'A' || rest[0] == 'T') && isDigit(rest[1]) {
		// Not an A or a T and a digit after the size: phones' and
		// tablets' codes (Highscreen's MS50A4500, SN70T31); Hisense's
		// 55A6502EA is a TV by tvModel.
		return false
	}
	digit := false
	for j := 1; j < len(rest); j++ {
		switch c := rest[j]; {
		case isDigit(c):
			digit = true
		case c < 'A' || c > 'Z':
			return false
		}
	}
	return digit
}

// laptopName reports whether an Android device's name is a laptop's or a
// desktop computer's: Android apps on a Chromebook ("Acer Chromebook 15
// (CB3-532)", "Google Pixelbook Go"), and Android builds for PCs on a
// laptop line ("Inspiron 5567", "TravelMate P653-M", "HP EliteBook 8470p").
// The caller asks that the User-Agent not say "Mobile": phones are named
// after such lines too (SOLO Aspire, Ultra Latitude).
func laptopName(name string) bool {
	for name != "" {
		k := 0
		for k < len(name) && name[k] != ' ' && name[k] != '-' && name[k] != '_' {
			k++
		}
		if k >= 4 && k <= 11 {
			var b [11]byte
			for j := 0; j < k; j++ {
				c := name[j]
				if 'A' <= c && c <= 'Z' {
					c += 'a' - 'A'
				}
				b[j] = c
			}
			switch string(b[:k]) {
			case "chromebook", "chromebox", "chromebase", "pixelbook", "inspiron", "latitude", "vostro",
				"optiplex", "travelmate", "aspire", "satellite", "elitebook", "probook", "pavilion",
				"lifebook", "zenbook", "vivobook", "easynote", "thinkbook", "thinkcentre":
				return true
			}
		}
		if k == len(name) {
			break
		}
		name = name[k+1:]
	}
	return false
}

// digmaTablet reports whether w is one of Digma's model codes of a tablet:
// the line's letter (C CITI, P Plane, T Optima, N Platina, S Sky), S or
// T, four digits the first of which is the screen's size (1 for 10
// inches, 7, 8...), two capitals (TS7198PG, CS1062PL, PS8170MG,
// TT1236PG, SS8264PL). Its phones' codes start with 5 or 6 (CS5021ML,
// CS6063ML).
func digmaTablet(w string) bool {
	if len(w) != 8 || w[1] != 'S' && w[1] != 'T' || !strings.ContainsRune("CNPST", rune(w[0])) {
		return false
	}
	for i := 2; i < 6; i++ {
		if !isDigit(w[i]) {
			return false
		}
	}
	return w[2] != '5' && w[2] != '6' && 'A' <= w[6] && w[6] <= 'Z' && 'A' <= w[7] && w[7] <= 'Z'
}

// ultraHD reports whether part is "4K" or "8K", alone or after two
// letters or more.
func ultraHD(part string) bool {
	n := len(part)
	if n < 2 || part[n-1] != 'K' || part[n-2] != '4' && part[n-2] != '8' {
		return false
	}
	if n == 2 {
		return true
	}
	for i := 0; i < n-2; i++ {
		if !isLetter(part[i]) {
			return false
		}
	}
	return n >= 4
}

// tabletDeviceName reports whether an Android device's name has a
// tablet's model code whose number starts with its screen size, 07, 08 or
// 09 inches: one to three letters, that size and two digits, perhaps a
// few letters and digits more (QS0716D, MT0812E, RC0710B, HT0704K08).
// Phones' numbers seldom start with a 0; ZTE's Blade phones do (Blade
// V0720, A0722), so not with ZTE or Blade in the name.
func tabletDeviceName(name string) bool {
	code := false
	for name != "" {
		k := 0
		for k < len(name) && name[k] != ' ' && name[k] != '-' && name[k] != '_' {
			k++
		}
		part := name[:k]
		if ascii.EqualLower(part, "zte") || ascii.EqualLower(part, "blade") {
			return false
		}
		code = code || sizeFirstCode(part)
		if k == len(name) {
			break
		}
		name = name[k+1:]
	}
	return code
}

// sizeFirstCode reports whether part is one to three letters, 07, 08 or
// 09, two digits, at most three letters and at most two digits.
func sizeFirstCode(part string) bool {
	i := 0
	for i < len(part) && isLetter(part[i]) {
		i++
	}
	if i < 1 || i > 3 || i+4 > len(part) || part[i] != '0' || part[i+1] < '7' || part[i+1] > '9' || !isDigit(part[i+2]) || !isDigit(part[i+3]) {
		return false
	}
	j := i + 4
	letters := j
	for j < len(part) && isLetter(part[j]) {
		j++
	}
	if j-letters > 3 {
		return false
	}
	digits := j
	for j < len(part) && isDigit(part[j]) {
		j++
	}
	return j == len(part) && j-digits <= 2
}
