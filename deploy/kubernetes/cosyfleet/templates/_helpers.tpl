{{/* Names and labels, as `helm create` makes them. */}}
{{- define "cosyfleet.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "cosyfleet.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/* Triton's Deployment and Service (trimmed so the suffix always fits in 63 characters). */}}
{{- define "cosyfleet.tritonName" -}}
{{- printf "%s-triton" (include "cosyfleet.fullname" . | trunc 56 | trimSuffix "-") }}
{{- end }}

{{- define "cosyfleet.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "cosyfleet.labels" -}}
helm.sh/chart: {{ include "cosyfleet.chart" . }}
{{ include "cosyfleet.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- define "cosyfleet.selectorLabels" -}}
app.kubernetes.io/name: {{ include "cosyfleet.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/* The Secret the pods read keys from: the user's, else the chart's. */}}
{{- define "cosyfleet.secretName" -}}
{{- default (include "cosyfleet.fullname" .) .Values.secrets.existingSecret }}
{{- end }}

{{/* The engine the cosyfleet pods run. */}}
{{- define "cosyfleet.engine" -}}
{{- if .Values.triton.enabled }}triton{{ else }}{{ .Values.engine }}{{ end }}
{{- end }}

{{/* GPUs in a cosyfleet pod: none when it is Triton's gateway or runs espeak. */}}
{{- define "cosyfleet.podGpus" -}}
{{- if eq (include "cosyfleet.engine" .) "cosyvoice" }}{{ int .Values.gpu.count }}{{ else }}0{{ end }}
{{- end }}

{{/*
The scaled Deployment's queue as Prometheus sees it through the ServiceMonitor (which adds the
namespace and service labels): segments waiting for an engine slot plus segments running. Waiting
alone reads 0 on a fleet that is busy but keeping up, which would scale it in.
*/}}
{{- define "cosyfleet.queueQuery" -}}
{{- if .Values.autoscaling.query }}
{{- .Values.autoscaling.query }}
{{- else }}
{{- $sel := printf "namespace=%q,service=%q" .Release.Namespace (include "cosyfleet.fullname" .) }}
{{- printf "sum(cosyfleet_queue_depth{%s}) + sum(cosyfleet_jobs_active{%s,state=\"running_segments\"})" $sel $sel }}
{{- end }}
{{- end }}

{{/* A pod volume for the model, from model-like values (source pvc | hostPath). */}}
{{- define "cosyfleet.modelVolume" -}}
{{- if eq .source "pvc" }}
persistentVolumeClaim:
  claimName: {{ required "model.pvc.claimName is required with model.source=pvc" .pvc.claimName }}
  readOnly: {{ .readOnly }}
{{- else if eq .source "hostPath" }}
hostPath:
  path: {{ required "model.hostPath.path is required with model.source=hostPath" .hostPath.path }}
  type: Directory
{{- else }}
{{- fail (printf "model.source must be pvc, hostPath or none, got %s" .source) }}
{{- end }}
{{- end }}
