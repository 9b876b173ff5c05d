# Build: the README's build command, with cgo for SQLite.
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=1 go build -trimpath -ldflags "-s -w" -o /out/cutover ./cmd/cutover

# Run: a small Debian (glibc, for the cgo SQLite driver) as a non-root user, data on a volume.
FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --home-dir /data --create-home cutover
COPY --from=build /out/cutover /usr/local/bin/cutover
USER cutover
WORKDIR /data
VOLUME /data
ENV CUTOVER_ADDR=:8080 \
    CUTOVER_DATABASE_URL=/data/cutover.db \
    CUTOVER_LOG_FORMAT=json
EXPOSE 8080
ENTRYPOINT ["cutover"]
CMD ["serve"]
