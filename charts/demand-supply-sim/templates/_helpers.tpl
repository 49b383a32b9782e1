{{/*
Names. The chart name (or nameOverride) is app.kubernetes.io/name; objects are called
"<fullname>-<component>", where fullname is the release name (or fullnameOverride), so that
`helm install dss` gives dss-store, dss-inventory, dss-postgres. 63 characters at most.
*/}}
{{- define "dss.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "dss.fullname" -}}
{{- default .Release.Name .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* "<fullname>-<component>"; call with (dict "root" $ "component" "store"). */}}
{{- define "dss.componentName" -}}
{{- printf "%s-%s" (include "dss.fullname" .root) .component | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "dss.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Labels of every object of a component; call with (dict "root" $ "component" "store"). */}}
{{- define "dss.labels" -}}
helm.sh/chart: {{ include "dss.chart" .root }}
{{ include "dss.selectorLabels" . }}
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
app.kubernetes.io/part-of: {{ include "dss.name" .root }}
{{- end }}

{{/* The stable subset that Services and selectors match on. */}}
{{- define "dss.selectorLabels" -}}
app.kubernetes.io/name: {{ include "dss.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{/* A project image: "[registry/]repository:tag"; call with (dict "root" $ "image" .Values.store.image). */}}
{{- define "dss.image" -}}
{{- $tag := .image.tag | default .root.Values.image.tag | default .root.Chart.AppVersion -}}
{{- if .root.Values.image.registry -}}
{{- printf "%s/%s:%s" .root.Values.image.registry .image.repository $tag -}}
{{- else -}}
{{- printf "%s:%s" .image.repository $tag -}}
{{- end -}}
{{- end }}

{{/* The hardened pod security context of the project's pods (uid 10001, the images' USER). */}}
{{- define "dss.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: 10001
runAsGroup: 10001
fsGroup: 10001
seccompProfile:
  type: RuntimeDefault
{{- end }}

{{/* The hardened container security context; readOnlyRootFilesystem is off only in the dev loop. */}}
{{- define "dss.containerSecurityContext" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: {{ .Values.readOnlyRootFilesystem }}
capabilities:
  drop: ["ALL"]
{{- end }}

{{/* Pod scheduling knobs of a component's values (nodeSelector, tolerations, affinity). */}}
{{- define "dss.scheduling" -}}
{{- with .nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end }}

{{/*
Databases. Each part connects as its own role to its own database; the password comes from a
Secret through the variable DB_PASSWORD and Kubernetes' $(VAR) expansion, so it is never in a
ConfigMap or in `helm get values`.
*/}}
{{- define "dss.databaseSecretName" -}}
{{- if .Values.postgres.enabled -}}
{{- .Values.postgres.existingSecret | default (include "dss.componentName" (dict "root" . "component" "database")) -}}
{{- else -}}
{{- .Values.externalDatabase.existingSecret | default (include "dss.componentName" (dict "root" . "component" "database")) -}}
{{- end -}}
{{- end }}

{{/* Whether the chart renders the database Secret (not when an existing one is named). */}}
{{- define "dss.createDatabaseSecret" -}}
{{- if .Values.postgres.enabled -}}
{{- if not .Values.postgres.existingSecret }}true{{ end -}}
{{- else -}}
{{- if not .Values.externalDatabase.existingSecret }}true{{ end -}}
{{- end -}}
{{- end }}

{{/* Host, port, database, user and sslmode of a part ("inventory", "store" or "sim"); call with (dict "root" $ "part" "store"). Returns YAML. */}}
{{- define "dss.database" -}}
{{- if .root.Values.postgres.enabled -}}
host: {{ include "dss.componentName" (dict "root" .root "component" "postgres") }}
port: 5432
database: {{ .part }}
user: {{ .part }}
sslmode: disable
{{- else -}}
{{- $external := index .root.Values.externalDatabase .part -}}
host: {{ tpl (required "externalDatabase.host is required when postgres.enabled=false" .root.Values.externalDatabase.host) .root }}
port: {{ .root.Values.externalDatabase.port }}
database: {{ $external.database }}
user: {{ $external.user }}
sslmode: {{ .root.Values.externalDatabase.sslmode }}
{{- end -}}
{{- end }}

{{/* The env entries that give a part its database URL; call with (dict "root" $ "part" "store"). */}}
{{- define "dss.databaseEnv" -}}
{{- $db := include "dss.database" . | fromYaml -}}
- name: DB_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ include "dss.databaseSecretName" .root }}
      key: {{ .part }}-password
- name: {{ .part | upper }}_DATABASE_URL
  value: {{ printf "postgresql+psycopg://%s:$(DB_PASSWORD)@%s:%v/%s?sslmode=%s" $db.user $db.host $db.port $db.database $db.sslmode | quote }}
{{- end }}

{{/* The in-cluster URL of a service ("store" or "inventory"). */}}
{{- define "dss.serviceUrl" -}}
{{- $service := index .root.Values .component "service" -}}
http://{{ include "dss.componentName" . }}:{{ $service.port }}
{{- end }}

{{/* Volumes every project pod mounts: a writable /tmp (the root file system is read-only). */}}
{{- define "dss.tmpVolume" -}}
- name: tmp
  emptyDir: {}
{{- end }}

{{/* A NetworkPolicy peer: the pods of a component; call with (dict "root" $ "component" "store"). */}}
{{- define "dss.peer" -}}
- podSelector:
    matchLabels:
      {{- include "dss.selectorLabels" . | nindent 6 }}
{{- end }}
