{{/* Labels of every object: what it is a part of, and which component. */}}
{{- define "traceshop.labels" -}}
app.kubernetes.io/name: {{ .name }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/part-of: traceshop
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .root.Chart.Name .root.Chart.Version }}
{{- end }}

{{/* The labels a Service and a workload select pods by. */}}
{{- define "traceshop.selector" -}}
app.kubernetes.io/name: {{ .name }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
{{- end }}

{{/*
docker-compose.yml, parsed (JSON, for `include ... | fromJson`): files/docker-compose.yml links to
it, and Helm follows the link. YAML anchors and merge keys resolved; `${VAR:-default}` left as is.
*/}}
{{- define "traceshop.compose" -}}
{{- .Files.Get "files/docker-compose.yml" | fromYaml | toJson }}
{{- end }}

{{/* A compose value as compose uses it when the shell sets nothing: `${VAR:-default}` is its default, `$$` a `$`. */}}
{{- define "traceshop.interpolate" -}}
{{- regexReplaceAll "\\$\\{[A-Za-z_][A-Za-z0-9_]*(:?-([^}]*))?\\}" (toString .) "${2}" | replace "$$" "$" }}
{{- end }}

{{/* Docker's 144M is 144 MiB; Kubernetes's 144M would be 144 * 10^6 bytes. */}}
{{- define "traceshop.memory" -}}
{{- regexReplaceAll "^(\\d+)([KMG])$" (toString .) "${1}${2}i" }}
{{- end }}

{{/*
Where the services find Postgres, Redis and RabbitMQ, credentials included: compose's addresses
(the services' own DATABASE_URL, REDIS_URL, AMQP_URL), or a store's `url` from values.
*/}}
{{- define "traceshop.connections" -}}
{{- $compose := include "traceshop.compose" . | fromJson }}
{{- $stores := dict "DATABASE_URL" .Values.postgres "REDIS_URL" .Values.redis "AMQP_URL" .Values.rabbitmq }}
{{- range $key, $store := $stores }}
{{- $composed := "" }}
{{- range $name, $svc := $compose.services }}{{ with $svc.environment }}{{ if hasKey . $key }}{{ $composed = index . $key }}{{ end }}{{ end }}{{ end }}
{{ $key }}: {{ $store.url | default $composed | quote }}
{{- end }}
{{- end }}

{{/* A container's resources: memory requested = its limit (compose's, in compose's units or Kubernetes's), CPU requested only. */}}
{{- define "traceshop.resources" -}}
{{- $memory := include "traceshop.memory" .memory -}}
resources:
  requests: { cpu: {{ .cpu | default "50m" }}, memory: {{ $memory }} }
  limits: { memory: {{ $memory }} }
{{- end }}

{{/* Restarts every pod of a workload when its configuration changes (ConfigMaps are not watched). */}}
{{- define "traceshop.checksum" -}}
checksum/config: {{ include (print .Template.BasePath "/otel-config.yaml") . | sha256sum }}
{{- end }}

{{/* A Collector's probes: its health_check extension (otel/collector*.yaml, port 13133). */}}
{{- define "traceshop.collectorProbes" -}}
startupProbe: { httpGet: { path: /, port: health }, periodSeconds: 1, failureThreshold: 60 }
livenessProbe: { httpGet: { path: /, port: health }, periodSeconds: 10, timeoutSeconds: 3, failureThreshold: 3 }
readinessProbe: { httpGet: { path: /, port: health }, periodSeconds: 10, timeoutSeconds: 3, failureThreshold: 3 }
{{- end }}

{{/* The Collector's image: the official contrib image compose's otel-collector is built FROM. */}}
{{- define "traceshop.collectorImage" -}}
{{- $compose := include "traceshop.compose" . | fromJson }}
{{- (index $compose.services "otel-collector").build.dockerfile_inline | regexFind "FROM \\S+" | trimPrefix "FROM " }}
{{- end }}

{{/*
Prometheus's configuration: otel/prometheus.yml (files/ links to it), but for its target. Compose
scrapes the one Collector (otel-collector:8889); here the span metrics are counted by every sampler,
each for its own traces, so Prometheus finds them all by DNS: the headless Service otel-sampler
answers with every ready sampler pod's address (re-read every 30 s, so a scaled tier is followed).
Prometheus reads one file only, hence the file rewritten rather than a second one over it.
*/}}
{{- define "traceshop.prometheusConfig" -}}
{{- $config := .Files.Get "files/prometheus.yml" | fromYaml }}
{{- range $config.scrape_configs }}
{{- $targets := (first .static_configs).targets }}
{{- $target := splitList ":" (first $targets) }}
{{- if or (ne (len .static_configs) 1) (ne (len $targets) 1) (ne (first $target) "otel-collector") }}
{{- fail (printf "otel/prometheus.yml: job %s scrapes %v; the chart knows only the Collector's span metrics (otel-collector:<port>)" .job_name .static_configs) }}
{{- end }}
{{- $_ := unset . "static_configs" }}
{{- $_ := set . "dns_sd_configs" (list (dict "names" (list "otel-sampler") "type" "A" "port" (last $target | atoi))) }}
{{- end }}
# otel/prometheus.yml, its target the samplers (deploy/helm/traceshop: traceshop.prometheusConfig).
{{ toYaml $config }}
{{- end }}
