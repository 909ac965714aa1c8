# syntax=docker/dockerfile:1
# Build:  docker build -t frontdoor .
# Run:    docker run -p 80:80 -p 443:443 -p 127.0.0.1:2019:2019 \
#           -v $PWD/Caddyfile:/etc/frontdoor/Caddyfile:ro \
#           -v frontdoor-data:/data frontdoor
# Without a Caddyfile of your own the image runs Caddyfile.example, which
# listens on loopback inside the container only (a demo, not reachable
# through -p).
#
# Volumes:
#   /etc/frontdoor   configuration (Caddyfile, sites.yaml, GeoIP files)
#   /data            Caddy storage: certificates, maintenance state (keep it)
#   /config          Caddy's autosaved config

FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o /out/frontdoor ./cmd/frontdoor
# Writable state directories for the non-root user (uid 65532 in distroless).
RUN mkdir -p /out/data /out/config && chown -R 65532:65532 /out/data /out/config

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/frontdoor /usr/bin/frontdoor
COPY --from=build --chown=65532:65532 /out/data /data
COPY --from=build --chown=65532:65532 /out/config /config
COPY Caddyfile.example /etc/frontdoor/Caddyfile
ENV XDG_CONFIG_HOME=/config XDG_DATA_HOME=/data
VOLUME ["/data", "/config"]
EXPOSE 80 443 443/udp 2019
USER nonroot:nonroot
ENTRYPOINT ["/usr/bin/frontdoor"]
CMD ["run", "--config", "/etc/frontdoor/Caddyfile", "--adapter", "caddyfile"]
