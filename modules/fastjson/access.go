package fastjson

import (
	"crypto/tls"
	"net"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/caddyserver/caddy/v2/modules/caddyhttp"

	"github.com/frontdoor-gateway/frontdoor/modules/internal/ascii"
)

// The fields of Caddy's access-log entry, written directly: what
// caddyhttp.LoggableHTTPRequest, LoggableHTTPHeader, LoggableStringArray
// and LoggableTLSConnState write through zap's ObjectEncoder (Caddy
// v2.11), without an interface value for each header, a lower-cased copy
// of each header name, or a copy of the TLS state. The tests compare
// both, so that a Caddy upgrade that changes its marshalers is noticed.

// request writes the fields of caddyhttp.LoggableHTTPRequest.
func (e *enc) request(r caddyhttp.LoggableHTTPRequest) {
	ip, port, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		ip = r.RemoteAddr
		port = ""
	}
	e.AddString("remote_ip", ip)
	e.AddString("remote_port", port)
	if ip, ok := caddyhttp.GetVar(r.Context(), caddyhttp.ClientIPVarKey).(string); ok {
		e.AddString("client_ip", ip)
	}
	e.AddString("proto", r.Proto)
	e.AddString("method", r.Method)
	e.AddString("host", r.Host)
	e.AddString("uri", r.RequestURI)
	e.addKey("headers")
	old := e.beginObject()
	e.header(r.Header, r.ShouldLogCredentials)
	e.endObject(old)
	if r.TransferEncoding != nil {
		e.addKey("transfer_encoding")
		e.addElementSeparator()
		e.buf.AppendByte('[')
		e.appendStrings(r.TransferEncoding)
		e.buf.AppendByte(']')
	}
	if r.TLS != nil {
		e.addKey("tls")
		old := e.beginObject()
		e.tlsState(r.TLS)
		e.endObject(old)
	}
}

var redacted = []string{"REDACTED"}

// header writes the fields of caddyhttp.LoggableHTTPHeader: each header
// as an array of its values, credentials as REDACTED unless they are to
// be logged.
func (e *enc) header(h http.Header, logCredentials bool) {
	for key, val := range h {
		if !logCredentials && isCredential(key) {
			val = redacted
		}
		e.addKey(key)
		e.addElementSeparator()
		e.buf.AppendByte('[')
		e.appendStrings(val)
		e.buf.AppendByte(']')
	}
}

// isCredential reports whether strings.ToLower(key) is a header Caddy
// redacts.
func isCredential(key string) bool {
	for i := 0; i < len(key); i++ {
		if key[i] >= utf8.RuneSelf {
			return isCredentialSlow(key) // Unicode lower-casing may change the length
		}
	}
	switch len(key) {
	case len("cookie"):
		return ascii.EqualLower(key, "cookie")
	case len("set-cookie"):
		return ascii.EqualLower(key, "set-cookie")
	case len("authorization"):
		return ascii.EqualLower(key, "authorization")
	case len("proxy-authorization"):
		return ascii.EqualLower(key, "proxy-authorization")
	}
	return false
}

func isCredentialSlow(key string) bool {
	switch strings.ToLower(key) {
	case "cookie", "set-cookie", "authorization", "proxy-authorization":
		return true
	}
	return false
}

// appendStrings writes the elements of a string array.
func (e *enc) appendStrings(ss []string) {
	for _, s := range ss {
		e.AppendString(s)
	}
}

// tlsState writes the fields of caddyhttp.LoggableTLSConnState.
func (e *enc) tlsState(t *tls.ConnectionState) {
	e.AddBool("resumed", t.DidResume)
	e.AddUint64("version", uint64(t.Version))
	e.AddUint64("cipher_suite", uint64(t.CipherSuite))
	e.AddString("proto", t.NegotiatedProtocol)
	e.AddString("server_name", t.ServerName)
	e.AddBool("ech", t.ECHAccepted)
	if len(t.PeerCertificates) > 0 {
		e.AddString("client_common_name", t.PeerCertificates[0].Subject.CommonName)
		e.AddString("client_serial", t.PeerCertificates[0].SerialNumber.String())
	}
}
