package maintenance

import (
	"strconv"
	"strings"
)

// PrefersJSON reports whether a client sending the Accept header value accept
// prefers JSON to HTML: it accepts application/json (or a +json type) with a
// higher quality than any HTML type. Wildcards alone mean HTML, which is what
// browsers and curl get.
func PrefersJSON(accept string) bool {
	if accept == "" {
		return false
	}
	jsonQ, htmlQ := -1.0, -1.0
	for accept != "" {
		var part string
		part, accept, _ = strings.Cut(accept, ",")
		mediaType, params, _ := strings.Cut(part, ";")
		mediaType = strings.ToLower(strings.TrimSpace(mediaType))
		isJSON := mediaType == "application/json" || (strings.HasPrefix(mediaType, "application/") && strings.HasSuffix(mediaType, "+json"))
		isHTML := mediaType == "text/html" || mediaType == "application/xhtml+xml"
		if !isJSON && !isHTML {
			continue
		}
		q := quality(params)
		if isJSON && q > jsonQ {
			jsonQ = q
		}
		if isHTML && q > htmlQ {
			htmlQ = q
		}
	}
	return jsonQ > 0 && jsonQ > htmlQ
}

// quality returns the q parameter of an Accept element's parameters (1 when
// absent, 0 when malformed).
func quality(params string) float64 {
	for params != "" {
		var p string
		p, params, _ = strings.Cut(params, ";")
		k, v, ok := strings.Cut(strings.TrimSpace(p), "=")
		if !ok || !strings.EqualFold(strings.TrimSpace(k), "q") {
			continue
		}
		q, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		if err != nil || q < 0 || q > 1 {
			return 0
		}
		return q
	}
	return 1
}
