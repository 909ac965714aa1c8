package maintenance

import (
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/frontdoor-gateway/frontdoor/modules/internal/appstate"

	"github.com/caddyserver/caddy/v2"

	maint "github.com/frontdoor-gateway/frontdoor/modules/internal/maintenance"
)

func init() {
	caddy.RegisterModule(adminAPI{})
}

// maxBodySize bounds PUT bodies.
const maxBodySize = 64 << 10

// adminAPI serves the maintenance switches on the admin endpoint:
//
//	GET    /maintenance         every maintenance of the running config
//	GET    /maintenance/<name>  {"name","enabled","from","until","message","active","updated","readable","error"}
//	PUT    /maintenance/<name>  {"enabled":true,"from"?,"until"?,"message"?} (enabled defaults to true)
//	DELETE /maintenance/<name>  off
//
// Names are those of the maintenance handlers in the running config; other
// names are 404. Times are RFC 3339. "readable" is false, and "error" says
// why, while the stored state cannot be read; the other fields then say
// what the switch is meanwhile (on_state_error). PUT and DELETE write a
// good state over a damaged one.
type adminAPI struct{}

// CaddyModule returns the Caddy module information.
func (adminAPI) CaddyModule() caddy.ModuleInfo {
	return caddy.ModuleInfo{
		ID:  "admin.api.maintenance",
		New: func() caddy.Module { return new(adminAPI) },
	}
}

// Routes returns the maintenance routes.
func (a *adminAPI) Routes() []caddy.AdminRoute {
	return []caddy.AdminRoute{
		{Pattern: "/maintenance", Handler: caddy.AdminHandlerFunc(a.handleList)},
		{Pattern: "/maintenance/", Handler: caddy.AdminHandlerFunc(a.handleName)},
	}
}

func (a *adminAPI) handleList(w http.ResponseWriter, r *http.Request) error {
	if r.Method != http.MethodGet {
		return apiError(http.StatusMethodNotAllowed, "method %s not allowed; use GET", r.Method)
	}
	docs := []maint.Document{}
	if app := current.Current(); app != nil {
		now := time.Now()
		for _, sw := range app.registry.Switches() {
			docs = append(docs, sw.Document(now))
		}
	}
	return writeJSON(w, http.StatusOK, docs)
}

func (a *adminAPI) handleName(w http.ResponseWriter, r *http.Request) error {
	name := strings.TrimPrefix(r.URL.Path, "/maintenance/")
	app := current.Current()
	if app == nil {
		return apiError(http.StatusNotFound, "unknown maintenance %q: the running config has no maintenance handlers", name)
	}
	sw, ok := app.registry.Lookup(name)
	if !ok {
		return apiError(http.StatusNotFound, "unknown maintenance %q: no maintenance handler of the running config has this name", name)
	}

	now := time.Now()
	var next maint.State
	switch r.Method {
	case http.MethodGet:
		return writeJSON(w, http.StatusOK, sw.Document(now))
	case http.MethodPut:
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBodySize))
		if err != nil {
			return apiError(http.StatusBadRequest, "reading body: %v", err)
		}
		if next, err = maint.ParseUpdate(body, now); err != nil {
			return apiError(http.StatusBadRequest, "%v", err)
		}
	case http.MethodDelete:
		next = maint.State{Enabled: false}
	default:
		return apiError(http.StatusMethodNotAllowed, "method %s not allowed; use GET, PUT or DELETE", r.Method)
	}

	next, err := app.registry.Set(r.Context(), name, next)
	if err != nil {
		return caddy.APIError{HTTPStatus: http.StatusInternalServerError, Err: err}
	}
	return writeJSON(w, http.StatusOK, next.Document(name, now))
}

var (
	apiError  = appstate.APIError
	writeJSON = appstate.WriteJSON
)

// Interface guards
var (
	_ caddy.AdminRouter = (*adminAPI)(nil)
)
