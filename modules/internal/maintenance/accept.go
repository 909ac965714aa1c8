package maintenance

import "github.com/frontdoor-gateway/frontdoor/modules/internal/accept"

// PrefersJSON reports whether a client sending the Accept field lines values
// prefers JSON to the HTML page, as accept.Negotiate decides with HTML
// offered first: browsers, curl and clients that send no Accept get HTML; a
// client that names application/json (or a +json type) above HTML gets JSON.
func PrefersJSON(values ...string) bool {
	return accept.Negotiate(values, accept.HTML, accept.JSON) == accept.JSON
}
