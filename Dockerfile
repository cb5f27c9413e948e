# The agent image: one static binary on distroless/static. The agent pod runs
# it as root with --host-root /host --output ndjson (kube/agent.go).
#   docker build --build-arg VERSION=v1.2.3 -t ghcr.io/kubectl-netstat/kubectl-netstat:v1.2.3 .
FROM golang:1.26 AS build
ARG VERSION=dev
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" \
    -o /out/kubectl-netstat ./cmd/kubectl-netstat

FROM gcr.io/distroless/static:latest
COPY --from=build /out/kubectl-netstat /kubectl-netstat
ENTRYPOINT ["/kubectl-netstat"]
