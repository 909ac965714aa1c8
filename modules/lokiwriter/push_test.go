package lokiwriter

import (
	"fmt"
	"io"

	"github.com/golang/snappy"
	"github.com/grafana/loki/pkg/push"
)

// decodePush decodes a snappy-compressed Loki push request.
func decodePush(r io.Reader) (*push.PushRequest, error) {
	body, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	raw, err := snappy.Decode(nil, body)
	if err != nil {
		return nil, fmt.Errorf("not snappy: %v", err)
	}
	var req push.PushRequest
	if err := req.Unmarshal(raw); err != nil {
		return nil, fmt.Errorf("not a push request: %v", err)
	}
	return &req, nil
}
