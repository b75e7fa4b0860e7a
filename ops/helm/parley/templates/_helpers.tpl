{{- define "parley.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "parley.selectorLabels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "parley.labels" -}}
{{ include "parley.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "parley.image" -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end -}}

{{- define "parley.secretName" -}}
{{- if .Values.secrets.existingSecret -}}
{{ .Values.secrets.existingSecret }}
{{- else -}}
{{ include "parley.fullname" . }}
{{- end -}}
{{- end -}}

{{/* Seconds Kubernetes waits after SIGTERM: the LB delay, the drain, and 10 s to close storage. */}}
{{- define "parley.gracePeriod" -}}
{{ add (div (add .Values.drain.lbDelayMs .Values.drain.timeoutMs 999) 1000) 10 }}
{{- end -}}

{{/* Cassandra settings shared by the nodes and the migration Job. */}}
{{- define "parley.cassandraEnv" -}}
- name: CASSANDRA_CONTACT_POINTS
  value: {{ .Values.config.cassandra.contactPoints | quote }}
- name: CASSANDRA_LOCAL_DC
  value: {{ .Values.config.cassandra.localDataCenter | quote }}
- name: CASSANDRA_KEYSPACE
  value: {{ .Values.config.cassandra.keyspace | quote }}
- name: CASSANDRA_REPLICATION_STRATEGY
  value: {{ .Values.config.cassandra.replicationStrategy | quote }}
- name: CASSANDRA_REPLICATION_FACTOR
  value: {{ .Values.config.cassandra.replicationFactor | quote }}
- name: CASSANDRA_USERNAME
  valueFrom:
    secretKeyRef: { name: {{ include "parley.secretName" . }}, key: CASSANDRA_USERNAME, optional: true }
- name: CASSANDRA_PASSWORD
  valueFrom:
    secretKeyRef: { name: {{ include "parley.secretName" . }}, key: CASSANDRA_PASSWORD, optional: true }
{{- end -}}

{{- define "parley.securityContext" -}}
runAsNonRoot: true
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
capabilities:
  drop: [ALL]
{{- end -}}
