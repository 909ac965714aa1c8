package device

// The words the classifier knows, lowercase, with the facts each states.
// They are compiled once into a hash table (see table.go): a word costs one
// probe whatever the number of words here. A word ending in digits that is
// not listed is looked up again without them (iPad13, AppleTV11, Win95).
// Words that are not listed at all go through the name rules (nameFacts,
// prefixFacts): that is where "...bot", "...crawler" and model codes are
// recognised.
var wordFacts = []struct {
	f     flags
	words string
}{
	{fLinux | fX11, "x11"},
	// The processors of TVs and set-top boxes, and Qt's build for devices
	// without a window system: with Linux and no X11, an embedded device
	// (see Classify).
	{fSoC, "arm armv5l armv6l armv7l armv8l aarch64 mips mipsel sh4 qtembedded"},
	{fMacArch, "x86_64 arm64 i386 intel64"},
	{fFeature, "s60 s40"},
	// Tizen runs on Samsung's phones and watches, and on its TVs, which
	// say TV: a Tizen without a TV is a phone (SM-Z9005, SC-03F), though
	// its browser may not say "Mobile".
	{fLinux | fMobile, "tizen"},
	{fMobile, "mobile iemobile blackberry bb kaios mobi wpdesktop webos maemo meego sailfish palm palmos palmsource fennec lumia"},
	// Handhelds of the 1990s: Psion's EPOC, the Palm browsers, PDAs.
	{fMobile, "epoc epoc32 psion palmscape palmpilot xiino pda"},
	{fAndroid, "fb4a"}, // the Facebook app for Android, which may name no OS
	{fIOS, "fbios"},
	{fIOS | fMobile, "iphone ipod"},
	{fIOS, "ios watchos"},
	{fIPad | fTablet, "ipad ipados"},
	{fTablet, `kindle playbook tablet xoom nook bntv bnrv kobo mediapad matepad ideatab touchpad
		smartpad onepad viewpad nettab surftab freetab lifetab apad tab pad mid pmid odys nextbook
		flyer epade smarttab pocketbook bookeen cybook tolino
		teclast chuwi alldocube transformer iconia
		uk410 uk495 lk460 boox likebook meebook
		contixo yestel lexibook headwolf hpad npad leapfrog leappad`}, // LG G Pad X: UK410, UK495, LK460; Onyx BOOX, Boyue Likebook, Meebook e-readers; makers of tablets only; Headwolf's HPad, N-one's NPad; LeapFrog's children's tablets
	{fAndroid, "android"},
	{fAndroid, "adr"},
	// Windows Mobile, Windows CE and Windows Phone where the User-Agent
	// does not say "Windows Phone": WindowsMobile/6.5, WinMobile/6.5,
	// WindowsCEOS/6.0, WhatsApp's WP7/7.10, QQ Browser's WPOS:7.10.
	{fWinPhone | fMobile, "windowsmobile winmobile windowsceos wp7 wp8 wpos"},
	// Feature phones' platforms and browsers that name no phone: a WAP
	// browser, Danger's hiptop, Spreadtrum's MOCOR, ThreadX, Nucleus, the
	// Dorado browser.
	{fFeature, "wap hiptop mocor threadx_os nucleus dorado"},
	// Microsoft Mobile Explorer (MMEF20, MMEF300), docomo's FOMA handsets,
	// and the word Cellphone.
	{fFeature, "mmef foma cellphone"},
	// Phone browsers that may send a desktop User-Agent: 360's Aphone
	// Browser, Ninesky, Palm's webOS browser and the Pixi.
	{fMobile, "aphone ninesky webosbrowser pixi"},
	// Electron: a desktop app (WhatsApp/2.2017.6 ... Electron/6.1.9 is
	// WhatsApp Desktop, not its link-preview fetcher).
	{fElectron, "electron"},
	// Google TV runs on Android: the OS, even where it names only Linux.
	{fTV | fAndroidBuild, "googletv"},
	{fTablet | fSilk, "silk"}, // UC Browser's and QQ Browser's word for Android: "Adr 4.1.2"
	{fDalvik, "dalvik"},
	{fCrOS, "cros"},
	{fWindows, "windows win win32 win64 winnt win9x windowsnt cygwin_nt"},
	{fMac, "mac macintosh macos osx macbook macbookpro macbookair imac macmini macpro mac_powerpc mac_ppc"},
	// Platforms as desktop apps name them: Spotify's Win32_x86_64 and
	// OSX_ARM64; Windows Media's NSPlayer and WMFSDK, which only Windows
	// has. (Windows' WebDAV client, DavClnt, probes a URL before a program
	// opens it, with no person looking: it stays a bot.)
	{fWindows, "win32_x86_64 win32_arm64 nsplayer wmfsdk"},
	{fMac, "osx_arm64 osx_x86_64"},
	{fDarwin, "cfnetwork darwin darwin_i"},
	{fLinux, `linux ubuntu fedora debian centos gentoo mint kubuntu suse opensuse archlinux manjaro
		mandriva`},
	{fDesktopOS, `freebsd openbsd netbsd dragonfly sunos solaris haiku beos amiga amigaos morphos aros
		riscos irix aix syllable inferno unix os2 warp
		risc webexplorer`}, // RISC OS; IBM WebExplorer, OS/2's browser
	{fMSWeak, "microsoft msoffice"},
	{fSafari, "safari"},
	{fSamsungBrowser, "samsungbrowser"},

	// Feature phones and their browsers.
	{fFeature, `midp cldc symbian symbianos series nokia sonyericsson obigo obigointernetbrowser ucweb
		j2me teleca polaris dolfin bada brew docomo kddi softbank vodafone willcom portalmmm mot sie
		lge sgh sch alcatel htc opwv openwave netfront jasmine lg samsung jig ddipocket kyocera
		mqqbrowser`}, // QQ Browser's mobile builds; on a feature phone it names nothing else

	// TVs, set-top boxes, streaming sticks and game consoles.
	{fTV, `tv smarttv smart_tv hbbtv netcast web0s androidtv roku crkey chromecast bravia
		philipstv nettv vidaa viera mibox mitv playstation xbox nintendo wii wiiu psp inettvbrowser dtv
		sonydtv kreatv omi vstvb espial opentv tsbnettv netrange maple smarthub aquosbrowser
		foxxum humax technisat loewe vestel tpvision grundig arcelik freebox dreambox enigma stb stbapp
		kstb mag dune formuler directfb firetv shield tvbox ps3application hybridcast
		webtv ohtv diga boxee ouya dreamcast dreampassport planetweb ps3 ps4 kdl sonycebrowser sonybdp
		sagemcom vewd vizio smartcast skyworth metz mediaroom kaonmedia
		egreat bqeel wechip measy zoomtak amiko zgemma gigablue sdmc
		vuplus bbox kaon arris zeasn rkm vontar nsz pbrm intelce remocon dreamkey
		himedia transpeed magicsee sunvell kiii
		jmgo xgimi wpe metrological kamai entone technicolor coocaa iffalcon chiq brightsign`},
	// (BrightSign's are signage players, screens on a wall, as TVs are;
	// JMGO's and XGIMI's projectors run Android TV; WPE WebKit and
	// Metrological's app platform are set-top boxes' browsers; Entone's
	// Kamai and Technicolor's boxes are operators' set-top boxes; Coocaa
	// and iFFALCON are Skyworth's and TCL's TV brands, CHiQ Changhong's.)
	// (Vu+ receivers, HiMedia, Transpeed, Magicsee, Sunvell and Mecool KIII
	// boxes, Bouygues' Bbox, Kaon and Arris set-top boxes, Zeasn's
	// TV platform, Rikomagic (RKM) and Vontar boxes, Sony's Google TV
	// players NSZ-GS7 and NSZ-GS8, LG's PBRM TV browser, Intel's CE media
	// processors, and "REMOCON", a remote control, as the input method of
	// the AVE-Front browsers of TVs and consoles; Microsoft Mediaroom and
	// KAON Media set-top boxes; the Egreat, Bqeel, WeChip, Measy, Zoomtak
	// and Amiko boxes, Zgemma and GigaBlue receivers and SDMC's set-top
	// boxes. Kylo, a browser
	// for a PC watched on a TV, runs on the PC: not a TV.)
	// Opera's TV browser writes "Andr0id" on Android TV.
	{fTV | fAndroid, "andr0id"},
	{fTV | fAppleTV, "appletv tvos"},

	// HTTP libraries, command-line tools and feed readers: automated unless
	// they run in an app that names its phone, tablet or TV.
	{fAuto, `curl libcurl pycurl wget aria python aiohttp httpx urllib urllib3 requests okhttp okio
		java jakarta httpclient libwww perl lwp php guzzlehttp guzzle ruby faraday httparty node
		nodejs undici axios deno postmanruntime insomnia httpie dart reqwest restsharp unirest
		superagent mechanize httrack grpc powershell windowspowershell cpprest libhttp winhttp
		winhttprequest synapse indy docker gitlab hackney spray scalaj lua resty cli intellij
		servicestack twisted pear cakephp newspaper pcore jersey retrofit alamofire libsoup colly
		httpunit htmlunit jsdom zend laminas symfony drupal typo3 apache nginx httpd http_request
		urlgrabber gradle maven npm yarn pnpm pip cargo composer bundler rubygems nuget homebrew
		conda kubectl fasthttp terraform ansible typhoeus excon gcdhttprequest rapidapi lavf
		grafana collectd telegraf
		whatsapp`}, // WhatsApp's link previews; its Android app names the device

	// Named automated clients that the name rules would not recognise.
	{fBot, `bot bots crawler spider robot googlebot bingbot yandexbot baiduspider applebot
		duckduckbot msnbot yeti daum daumoa facebookexternalhit facebookcatalog slurp mediapartners inspectiontool
		googleother chatgpt bingpreview phantomjs lighthouse ia_archiver imgproxy
		skypeuripreview embedly vkshare datanyze puppeteer playwright selenium webdriver slimerjs prerender
		rendertron ptst pagespeed gtmetrix pingdom statuscake site24x newrelicpinger datadog nagios
		zabbix icinga freshping hetrixtools checkly uptime newsblur inoreader theoldreader
		netnewswire newsgator bloglines nutch heritrix nmap nikto masscan zgrab sqlmap nuclei wpscan
		boto botocore wordpress jetpack iframely outbrain googlehc kube healthcheck blackbox qwantify
		archive wayback findlinks validator preview synthetics monitoring apis flipboardproxy
		ahrefs semrush majestic screaming sitebulb oncrawl netcraft censys shodan expanse
		internetmeasurement proximic grapeshot admantx mail_ru linguee cloudflare catchpoint gomezagent
		rigor dareboost openvas splash pageburst duplexweb transcoder wkhtmltopdf cypress apachebench
		monit prometheus openai clamav meltwater brandwatch integromat blogtrottr appengine
		applesyndication internetarchive siteimprove monsido fuzz googleweblight ruxitsynthetic
		datadogsynthetics pingdomtms w3c_unicorn favicon scanning watchdog cron dcv certificate
		wappalyzer zollard nessus acunetix whatweb gobuster dirbuster ffuf feroxbuster miniflux`},

	// Words of ordinary browser User-Agents that say nothing: listing them
	// spares them the name rules.
	{0, `mozilla applewebkit webkit khtml like gecko trident presto opera chrome chromium crios
		firefox fxios edg edge edga edgios opr version build wv rv nt x64 wow64 cpu intel mac os
		i686 i586 en us gb de fr es it ru zh cn tw jp ja ko kr pt br nl pl
		cubot sm gt tb yt lg go aws rest page apple up ce sph shw m nexus pixel large http https
		gzip gfe net clr media center pc slcc infopath msie konqueror compatible yabrowser vivaldi
		brave miuibrowser ucbrowser huaweibrowser samsung motorola moto redmi xiaomi oneplus huawei
		honor oppo vivo realme infinix tecno itel zte lenovo asus sony xperia pixel k hmscore gmscore
		instagram fban fbav fbios fb_iab micromessenger wechat line kakaotalk snapchat twitter
		tiktok musical_ly bytedancewebview gsa mobile mobile_safari
		a b c d e f g h i j k l m n o p q r s t u v w x y z
		html browser model screen profile configuration touch help mouse tuner search pro smart
		web wireless wired release one app client unknown user device edition generic agent
		support for note wifi galaxy mi hd uhd plus max lite ultra play store media player en_us
		en_gb de_de nl_nl fr_fr scale nettype gzip deflate true false null
		fbdv fbsv fblc fbop fbcr fbmd fbsn fbss fbid fbpn fbrv fbbv fbdm fbca fbrd fbav fb4a
		qqdownload firedownload`}, // browser add-ons' tokens, not downloaders

	{0, boxWords},
}

// boxWords are TV boxes and sticks as a word of a device name: "Box",
// "Stick", "Dongle", "Projector" and "TiVo" (Mi Box, Streaming Box 8000,
// TOUCAN Stick 3D, an Android TV projector, TiVo Stream 4K), and the
// makers of TV boxes that make nothing else, WeTek, BuzzTV, AirTV, EVPAD
// and SVICLOUD (WeTek Play2, BuzzTV XRS4500). The Box, TiVo and AirTV
// apps and their package names are not (see special).
const boxWords = "box stick dongle projector tivo wetek buzztv airtv evpad svicloud"

// namedTVs are TVs' names that phones' names also start with, before a
// space and the phone's line: Sharp's AQUOS TVs (AQUOS-TVX19B,
// AQUOS_TVE19A, "AQUOS-AS/2.0") and AQUOS phones ("AQUOS sense4", "Sharp
// Aquos S2"); the Nintendo DS ("(compatible; MSIE 6.0; Nitro)") and the
// Nitro phones ("Nitro 55A Build/").
const namedTVs = "aquos nitro"

// handsetMakers are makers of phones (and of little that sends a
// User-Agent of its own) whose name, with a model after it, starts the
// User-Agent of their feature phones' browsers: PHILIPS-Fisio 121/2.1,
// SEC-SGHX660/1.0 (Samsung), HAIER-N60, Sendo-J530/1.0, HUAWEI-U8110/1.0,
// Micromax X222, Amoi 8512/R28.0, BIRD S701_GPRS/1.0, TIANYU-KTOUCH,
// QTEK S200, Pantech-PG-1400, Sagem-myX5, Sanyo-SCP5300, Mitsubishi-M342i,
// BenQ-M315, CASIO-C721, Spice M-5600. Elsewhere in a User-Agent, or
// alone, the name says nothing.
const handsetMakers = "philips sec haier sendo huawei micromax amoi bird tianyu ktouch qtek pantech sagem sanyo mitsubishi benq casio spice"

// pcMakers make phones and also PCs and their programs: their name starts
// a feature phone's User-Agent only with a model code that has a digit
// (LENOVO-I908, Lenovo G900, Motorola-V600i, ASUS-J100, ACER-E200,
// AUDIOVOX-9155GPX, Kyocera's KWC-KX5).
const pcMakers = "lenovo motorola asus acer audiovox kwc"

// tabletLines are the names of tablet lines that are also ordinary words
// or app names: Alldocube iPlay (iPlay40), DEXP Ursus, PiPO, Hisense Sero,
// Digma Plane, HP Slate, HTC Jetstream, Kurio, BQ Edison,
// Maxwell and Curie, Hyundai Koral, Woxter Nimbus, Tesco's Hudl (also the
// name of a sports-video app: Hudl/2024.11.0 CFNetwork/...). They are a
// tablet as a word of a device name in the User-Agent's parentheses
// ("Hisense Sero 7 Pro", "Plane 1550S 3G") or with the model's number
// (iPlay40), not as a product ("X-Plane/12.1", "iPlay/3.1") or an app's
// name after a browser's ("Safari/537.36 Nimbus Note/1.2").
const tabletLines = "iplay ursus pipo sero plane slate jetstream kurio edison maxwell curie koral nimbus hudl"

// textBrowsers are the text-mode browsers (desktop programs that are not
// HTTP libraries). Their name counts as the User-Agent's first word only
// ("Lynx/2.8.9", "Links (2.1pre15; Linux...)"), not inside another name
// ("Google-Youtube-Links").
const textBrowsers = "lynx links elinks w3m"

// pairWords are words that open a pair: the word after them is read
// together with them (model codes written with a hyphen, SM-T870, are two
// words).
var pairWords = []struct {
	p     pairKind
	words string
}{
	{pSM, "sm"},
	{pGT, "gt"},
	{pTB, "tb yt lenovotb"},
	{pLG, "lg"},
	{pGo, "go"},
	{pAWS, "aws"},
	{pRest, "rest"},
	{pPage, "page"},
	{pApple, "apple"},
	{pUp, "up"},
	{pCE, "ce"},
	{pWindows, "windows"},
	{pSPH, "sph"},
	{pSHW, "shw shv"}, // Samsung's Korean codes
	{pM, "m"},
	{pNexus, "nexus"},
	// Nokia's and Microsoft's Lumias are phones but the Lumia 2520, a
	// Windows RT tablet; Edge on Windows 10 Mobile asking for the desktop
	// site still names its Lumia ("Windows NT 10.0; ARM; Lumia 950").
	{pLumia, "lumia"},
	{pPixel, "pixel"},
	{pOpera, "opera"},
	{pMac, "mac"},
	{pLarge, "large"},
	{pTablet, "tablet"},
	{pHTTP, "http https ftp"},
	{pLinux, "linux"},
	{pBuild, "build"},
	{pLike, "like"},
	{pPlayStation, "playstation"},
	{pWWW, "www"},
	// Huawei and Honor tablet model codes, digits stripped: BAH3-W09,
	// AGS2-L09, DBY-W09, KOB2-AL00.
	{pHuawei, `bah ags agr agm agrk kob cmr scm btv jdn dby dbr bzt krj mrx bg bgo wgr hey eln gdi
		brt mon cpn sht vrd btk got hmw rod hdn ags3k kob2k`}, // AGS3K-L09, KOB2K-L09: their 2022 editions
	// Huawei's older tablet codes, a series and a number: T1-701u, T1-A21L
	// (MediaPad T1), S7-301u (MediaPad 7), S8-301L (MediaPad M1), S10-231u,
	// M2-801L and M2-A01L (MediaPad M2), GEM-703L (MediaPad X2), PLE-701L,
	// FDR-A01w (MediaPad T2).
	{pHuaweiNum, "t1 s7 s8 s10 m2 gem ple fdr"},
	// Lenovo's Tab V7 (PB-6505M); the Phab phones are PB1- and PB2-.
	{pPB, "pb"},
	// BQ's tablets: BQ-1045G, BQ-7082G, BQ-8068L (its phones are BQ-4xxx
	// to BQ-6xxx, its feature phones BQ-14xx and BQ-18xx).
	{pBQ, "bq"},
	// Dell Streak 7 and 10 (the Streak 5 is a phone).
	{pStreak, "streak"},
	// Archos: the 70 to 1xx lines (Archos 80 Xenon, 101 Oxygen) and the
	// Archos 5, 7, 8, 9 and 10 are tablets; the 40 to 64 lines are phones.
	{pArchos, "archos"},
	// docomo's tablet codes: the dtab line (d-01G, d-42A) and the tablets
	// of its other makers (SC-01C Galaxy Tab, SH-08E AQUOS PAD, SO-03E
	// Xperia Tablet Z, F-01D ARROWS Tab, N-06D MEDIAS TAB, L-06C Optimus
	// Pad; see docomoTablet).
	{pDocomo, "d sc sh so f n l"},
	// Allview's tablet lines: Viva, Speed, City, the Wi and AX series.
	{pAllview, "allview"},
	// Oysters' tablets: Oysters T72HM, T104.
	{pOysters, "oysters"},
	// Tronsmart's CX-919 sticks.
	{pCX, "cx"},
	// teXet's tablets: TM-7021, TM-9720, TM-1046 (its phones are TM-4xxx
	// and TM-5xxx).
	{pTM, "tm"},
	// Samsung's Galaxy Tabs on American carriers: SCH-I800, SGH-T849 (see
	// carrierTab).
	{pCarrierTab, "sch sgh"},
	// TECNO's model codes are phones' (KM5, KM7): not Mecool's KM boxes.
	{pTecno, "tecno"},
	{pShield, "shield"},
	{pPuffin, "puffin"},
	{pNokia, "nokia"},
	// Acer Iconia tablets: A1-810, A3-A10, B1-710, B3-A30.
	{pAcer, "a1 a3 b1 b3"},
	// iconBIT NetTAB tablets: NT-1710, NT-3702M.
	{pNT, "nt"},
	// The M8S TV boxes: M8S PRO, M8S PLUS (not HTC's One M8s), and
	// Mecool's BB2 PRO.
	{pM8S, "m8s bb2"},
	// Minix's NEO X boxes: NEO-X7, NEO X8-H.
	{pNeo, "neo"},
	// LG G Pad 5 10.1: LM-T600 (LG's LM- codes are otherwise phones).
	{pLM, "lm"},
	// Dell Venue 7, 8, 10 and 11 tablets (the Venue Pro is a phone).
	{pVenue, "venue"},
	// Vodafone's tablets: VF-1397, VF-1497, VFD 1100, VFD 1400 (its
	// phones are VF-6xx to VF-9xx and VFD 100 to VFD 8xx).
	{pVF, "vf vfd"},
	// BQ Aquaris tablets: Aquaris E10, M10, M8 (its phones are E4 to E6,
	// M4.5 to M5.5, U, V, X).
	{pAquaris, "aquaris"},
	// Oukitel's RT rugged tablets: RT1, RT3, RT7.
	{pOukitel, "oukitel"},
	// Google's Android TV developer boxes: ADT-1, ADT-3.
	{pADT, "adt"},
	// Panasonic's Android Toughpads: FZ-A1, FZ-A2, FZ-B2 (the FZ-X1 and
	// FZ-E1 are phones, the FZ-G1 and FZ-M1 Windows tablets).
	{pFZ, "fz"},
	// TVs named by brand letters and their screen size: Panasonic TH-55JX750
	// and TX-50HX700B, Sony KD-55X85J, XR-65A80J, KJ-55X80K, XBR-65X900E and
	// its FW-55BZ35F and FWD-55X80J professional displays, Sharp's AQUOS
	// LC-50LB601U (TX3 and TX6, without a hyphen, are Tanix boxes, which
	// prefixFacts knows).
	{pTVSize, "th tx kd xr kj xbr fw fwd lc"},
	// Nokia's model codes, TA- and four digits: the T20 and T10 tablets
	// are TA-1392, TA-1394, TA-1397 and TA-1457, TA-1462, TA-1472,
	// TA-1503, TA-1512; the rest of the numbers are phones.
	{pTA, "ta"},
	// Insignia's tablets: NS-P08A7100, NS-15AT07, NS-14T004; its TVs:
	// NS-50DF710NA21.
	{pNS, "ns"},
	// NEC's LAVIE Tab: PC-TE510KAS, PC-TS508FAM, PC-T1195BAS, PC-TAB08H01.
	{pPC, "pc"},
}

// tldWords are the top-level domains of contact addresses: "example.com"
// in a User-Agent is a crawler's home page. (Not "tv": "webOS.TV-2014" is a
// TV.)
const tldWords = `com net org io info biz ru de eu uk fr jp cn ly co me ai dev nl pl cz br kr ch se
	dk fi be au ca es gov edu xyz site online tech cloud`

// pairKind names the pair a word opens.
type pairKind uint8

const (
	pNone pairKind = iota
	pSM
	pGT
	pTB
	pLG
	pGo
	pAWS
	pRest
	pPage
	pApple
	pUp
	pCE
	pWindows
	pSPH
	pSHW
	pM
	pNexus
	pPixel
	pOpera
	pHuawei
	pMac
	pLarge
	pTablet
	pHTTP
	pWWW
	pBuild
	pLinux
	pShield
	pPuffin
	pNokia
	pAcer
	pNT
	pM8S
	pNeo
	pHuaweiNum
	pPB
	pBQ
	pStreak
	pArchos
	pDocomo
	pAllview
	pOysters
	pCX
	pTM
	pCarrierTab
	pTecno
	pLM
	pVenue
	pVF
	pAquaris
	pAlcatelT // Alcatel's 1T 7, 1T 10, 3T 8, 3T 10 tablets (opened by the number word; see scan)
	pOukitel
	pADT
	pFZ
	pTVSize
	pNS
	pTA
	pPC
	pInches // a screen of 7 to 13 inches: 10.1 inch, 7inch (opened by the number; see scan)
	pSharpT // Sharp's AQUOS TVs: 4T-C50BN1, 2T-C32AE1 (opened by the number word; see scan)
	pLumia
	pLike // "like Android": what follows is a comparison (see scan)
	pPlayStation

	pKinds // the number of pair kinds
)
