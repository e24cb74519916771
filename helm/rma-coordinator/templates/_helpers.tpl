{{/* Chart name, at most 63 characters. */}}
{{- define "rma-coordinator.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Object names. A release named after a part of the chart ("rma", "rma-coordinator") gets the
chart's name, so `helm install rma ./helm/rma-coordinator` makes "rma-coordinator", not
"rma-rma-coordinator"; any other release is prefixed: "prod-rma-coordinator".
*/}}
{{- define "rma-coordinator.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else if hasPrefix .Release.Name $name }}
{{- $name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "rma-coordinator.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "rma-coordinator.labels" -}}
helm.sh/chart: {{ include "rma-coordinator.chart" . }}
{{ include "rma-coordinator.selectorLabels" . }}
app.kubernetes.io/version: {{ .Values.image.tag | default .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: rma
{{- end }}

{{- define "rma-coordinator.selectorLabels" -}}
app.kubernetes.io/name: {{ include "rma-coordinator.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "rma-coordinator.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "rma-coordinator.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* Namespace of the RMAWorker objects. */}}
{{- define "rma-coordinator.workerNamespace" -}}
{{- default .Release.Namespace .Values.config.namespace }}
{{- end }}

{{- define "rma-coordinator.secretName" -}}
{{- default (include "rma-coordinator.fullname" .) .Values.existingSecret }}
{{- end }}

{{/* The Lease the replicas elect a leader on: rma-coordinator for a release called rma. */}}
{{- define "rma-coordinator.leaseName" -}}
{{- default (include "rma-coordinator.fullname" .) .Values.leaderElection.leaseName }}
{{- end }}

{{/* True (non-empty) when the replicas elect a leader: Kubernetes mode with leaderElection on. */}}
{{- define "rma-coordinator.elects" -}}
{{- if and (eq .Values.config.mode "kubernetes") .Values.leaderElection.enabled }}true{{ end }}
{{- end }}

{{/* True (non-empty) when the chart mounts a ConfigMap of its own. */}}
{{- define "rma-coordinator.hasConfigMap" -}}
{{- if or .Values.serviceCatalogue .Values.configFile }}true{{ end }}
{{- end }}

{{/*
Environment variables for the settings under .Values.config (except port, mode and namespace,
which the Deployment sets itself). Empty values are left out, so the coordinator's defaults apply.
Helm reads YAML numbers as floats: whole numbers are printed without an exponent.
*/}}
{{- define "rma-coordinator.settingsEnv" -}}
{{- $names := dict
  "heartbeatInterval" "RMA_HEARTBEAT_INTERVAL"
  "offlineAfter" "RMA_OFFLINE_AFTER"
  "pruneAfter" "RMA_PRUNE_AFTER"
  "restartGrace" "RMA_RESTART_GRACE"
  "massStaleMinPool" "RMA_MASS_STALE_MIN_POOL"
  "massStaleFraction" "RMA_MASS_STALE_FRACTION"
  "statusKeepalive" "RMA_STATUS_KEEPALIVE"
  "loopInterval" "RMA_LOOP_INTERVAL"
  "loadCeiling" "RMA_LOAD_CEILING"
  "tier1GpuMemoryGib" "RMA_TIER1_GPU_MEMORY_GIB"
  "tier2RamGib" "RMA_TIER2_RAM_GIB"
  "tier2CpuCores" "RMA_TIER2_CPU_CORES"
  "workerAuth" "RMA_WORKER_AUTH"
  "logFormat" "RMA_LOG_FORMAT"
  "publicUrl" "RMA_PUBLIC_URL"
  "maxBodyBytes" "RMA_MAX_BODY_BYTES"
  "taskQueueCapacity" "RMA_TASK_QUEUE_CAPACITY"
  "taskMemoryMib" "RMA_TASK_MEMORY_MIB"
  "taskMaxAttempts" "RMA_TASK_MAX_ATTEMPTS"
  "taskLease" "RMA_TASK_LEASE"
  "taskMaxLease" "RMA_TASK_MAX_LEASE"
  "taskQueueTimeout" "RMA_TASK_QUEUE_TIMEOUT"
  "taskRetention" "RMA_TASK_RETENTION"
  "taskResultWait" "RMA_TASK_RESULT_WAIT"
  "taskMaxPollWait" "RMA_TASK_MAX_POLL_WAIT"
  "taskMaxPollBatch" "RMA_TASK_MAX_POLL_BATCH"
  "taskRetryAfter" "RMA_TASK_RETRY_AFTER"
  "upstreamConnectTimeout" "RMA_UPSTREAM_CONNECT_TIMEOUT"
  "upstreamTimeout" "RMA_UPSTREAM_TIMEOUT"
  "maxInferenceBodyBytes" "RMA_MAX_INFERENCE_BODY_BYTES"
  "routeAttempts" "RMA_ROUTE_ATTEMPTS"
  "ejectAfterFailures" "RMA_EJECT_AFTER_FAILURES"
  "ejectFor" "RMA_EJECT_FOR"
  "inflightBodyBytes" "RMA_INFLIGHT_BODY_BYTES"
  "bodyTimeout" "RMA_BODY_TIMEOUT"
  "headTimeout" "RMA_HEAD_TIMEOUT"
  "allowLoopbackWorkers" "RMA_ALLOW_LOOPBACK_WORKERS"
  "allowPrivateWorkers" "RMA_ALLOW_PRIVATE_WORKERS"
  "maxWorkers" "RMA_MAX_WORKERS"
  "registrationsPerMinute" "RMA_REGISTRATIONS_PER_MINUTE"
  "inferencePerSecond" "RMA_INFERENCE_PER_SECOND"
  "trustedProxies" "RMA_TRUSTED_PROXIES"
  "corsOrigins" "RMA_CORS_ORIGINS"
  "databasePath" "DATABASE_PATH" }}
{{- range $key := keys $names | sortAlpha }}
{{- $value := index $.Values.config $key }}
{{- if not (or (kindIs "invalid" $value) (eq (toString $value) "")) }}
{{- if and (kindIs "float64" $value) (eq $value (floor $value)) }}
{{- $value = int64 $value }}
{{- end }}
- name: {{ index $names $key }}
  value: {{ toString $value | quote }}
{{- end }}
{{- end }}
{{- end }}

{{/*
RBAC rules for the namespace that holds the RMAWorkers. ChartOnMockClusterTest derives the API calls
the coordinator makes from a run on a mock API server and checks these rules against them.
- rmaworkers: list and watch (informers; every read is from their caches), create (register),
  update (re-register: a PUT of the new spec), delete (unregister, prune). No get, no patch.
- rmaworkers/status: patch (JSON Patch of /status, by register and the reconciler).
- events: create (one per phase change or prune; never patched).
*/}}
{{- define "rma-coordinator.workerRules" -}}
- apiGroups: ["rma.io"]
  resources: ["rmaworkers"]
  verbs: ["list", "watch", "create", "update", "delete"]
- apiGroups: ["rma.io"]
  resources: ["rmaworkers/status"]
  verbs: ["patch"]
- apiGroups: [""]
  resources: ["events"]
  verbs: ["create"]
{{- end }}
