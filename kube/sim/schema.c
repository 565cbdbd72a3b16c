/*
 * schema.c - the types of the kinds served, as one compact table: each
 * type's fields with their type, shape (scalar, list, map), the patch
 * strategy and merge key from the Go struct tags, and the keys server-side
 * apply uses for associative lists.
 *
 * Three parts read it: openapi.c renders the OpenAPI v2 and v3 documents
 * from it (kubectl validates and explains with them), patch.c takes the
 * strategic-merge strategies from it, apply.c the list keys of managed
 * fields ("k:{\"name\":\"web\"}"). The names are the real definition
 * names ("io.k8s.api.core.v1.Container"). Types the table does not
 * describe field by field are free-form objects.
 */
#include "kube/sim/sim.h"

#include <string.h>

#define CORE "io.k8s.api.core.v1."
#define APPS "io.k8s.api.apps.v1."
#define BATCH "io.k8s.api.batch.v1."
#define META "io.k8s.apimachinery.pkg.apis.meta.v1."
#define QTY "io.k8s.apimachinery.pkg.api.resource.Quantity"
#define INTSTR "io.k8s.apimachinery.pkg.util.intstr.IntOrString"
#define TIME META "Time"
#define MTIME META "MicroTime"

/* Field constructors: scalar or reference, list, map. */
#define F(n, t, d) { n, t, 0, NULL, NULL, NULL, d }
#define LA(n, t, d) { n, t, 'a', NULL, NULL, NULL, d }          /* atomic */
#define LM(n, t, key, keys, d) { n, t, 'a', "merge", key, keys, d } /* by key */
#define LMR(n, t, key, d) { n, t, 'a', "merge,retainKeys", key, NULL, d }
#define LS(n, t, d) { n, t, 'a', "merge", NULL, NULL, d }       /* set */
#define M(n, t, d) { n, t, 'm', NULL, NULL, NULL, d }
#define R(n, t, d) { n, t, 0, "retainKeys", NULL, NULL, d }
#define END { NULL, NULL, 0, NULL, NULL, NULL, NULL }

#define D_APIVERSION                                                           \
	"APIVersion defines the versioned schema of this representation of "   \
	"an object. Servers should convert recognized schemas to the latest "  \
	"internal value, and may reject unrecognized values. More info: "      \
	"https://git.k8s.io/community/contributors/devel/sig-architecture/"    \
	"api-conventions.md#resources"
#define D_KIND                                                                 \
	"Kind is a string value representing the REST resource this object "   \
	"represents. Servers may infer this from the endpoint the client "     \
	"submits requests to. Cannot be updated. In CamelCase. More info: "    \
	"https://git.k8s.io/community/contributors/devel/sig-architecture/"    \
	"api-conventions.md#types-kinds"
#define D_METADATA                                                             \
	"Standard object's metadata. More info: https://git.k8s.io/community/" \
	"contributors/devel/sig-architecture/api-conventions.md#metadata"
#define TOP(spec_t, spec_d, status_t, status_d)                                \
	F("apiVersion", "string", D_APIVERSION), F("kind", "string", D_KIND),  \
		F("metadata", META "ObjectMeta", D_METADATA),                  \
		F("spec", spec_t, spec_d), F("status", status_t, status_d)

static const struct sim_field f_objectmeta[] = {
	M("annotations", "string",
	  "Annotations is an unstructured key value map stored with a resource "
	  "that may be set by external tools to store and retrieve arbitrary "
	  "metadata."),
	F("clusterName", "string", ""),
	F("creationTimestamp", TIME,
	  "CreationTimestamp is a timestamp representing the server time when "
	  "this object was created."),
	F("deletionGracePeriodSeconds", "int64", ""),
	F("deletionTimestamp", TIME,
	  "DeletionTimestamp is RFC 3339 date and time at which this resource "
	  "will be deleted."),
	LS("finalizers", "string", ""),
	F("generateName", "string",
	  "GenerateName is an optional prefix, used by the server, to generate "
	  "a unique name ONLY IF the Name field has not been provided."),
	F("generation", "int64",
	  "A sequence number representing a specific generation of the desired "
	  "state. Populated by the system. Read-only."),
	M("labels", "string",
	  "Map of string keys and values that can be used to organize and "
	  "categorize (scope and select) objects."),
	LA("managedFields", META "ManagedFieldsEntry",
	   "ManagedFields maps workflow-id and version to the set of fields "
	   "that are managed by that workflow."),
	F("name", "string",
	  "Name must be unique within a namespace. Is required when creating "
	  "resources. Cannot be updated."),
	F("namespace", "string",
	  "Namespace defines the space within which each name must be unique."),
	LM("ownerReferences", META "OwnerReference", "uid", NULL,
	   "List of objects depended by this object."),
	F("resourceVersion", "string",
	  "An opaque value that represents the internal version of this object."),
	F("selfLink", "string", ""),
	F("uid", "string", "UID is the unique in time and space value for this "
			   "object."),
	END,
};

static const struct sim_field f_ownerref[] = {
	F("apiVersion", "string", "API version of the referent."),
	F("blockOwnerDeletion", "boolean", ""),
	F("controller", "boolean", "If true, this reference points to the "
				   "managing controller."),
	F("kind", "string", "Kind of the referent."),
	F("name", "string", "Name of the referent."),
	F("uid", "string", "UID of the referent."),
	END,
};

static const struct sim_field f_managed[] = {
	F("apiVersion", "string", ""), F("fieldsType", "string", ""),
	F("fieldsV1", "object", ""),   F("manager", "string", ""),
	F("operation", "string", ""),  F("time", TIME, ""),
	END,
};

static const struct sim_field f_labelselector[] = {
	LA("matchExpressions", META "LabelSelectorRequirement",
	   "matchExpressions is a list of label selector requirements. The "
	   "requirements are ANDed."),
	M("matchLabels", "string",
	  "matchLabels is a map of {key,value} pairs."),
	END,
};

static const struct sim_field f_lsreq[] = {
	F("key", "string", "key is the label key that the selector applies to."),
	F("operator", "string",
	  "operator represents a key's relationship to a set of values. Valid "
	  "operators are In, NotIn, Exists and DoesNotExist."),
	LA("values", "string", "values is an array of string values."),
	END,
};

/* ---- pods ----------------------------------------------------------------- */

static const struct sim_field f_pod[] = {
	TOP(CORE "PodSpec",
	    "Specification of the desired behavior of the pod.",
	    CORE "PodStatus",
	    "Most recently observed status of the pod. Read-only."),
	END,
};

static const struct sim_field f_podtemplatespec[] = {
	F("metadata", META "ObjectMeta", D_METADATA),
	F("spec", CORE "PodSpec",
	  "Specification of the desired behavior of the pod."),
	END,
};

static const struct sim_field f_podspec[] = {
	F("activeDeadlineSeconds", "int64", ""),
	F("affinity", CORE "Affinity", "If specified, the pod's scheduling "
				       "constraints"),
	F("automountServiceAccountToken", "boolean", ""),
	LM("containers", CORE "Container", "name", NULL,
	   "List of containers belonging to the pod. Containers cannot "
	   "currently be added or removed. There must be at least one container "
	   "in a Pod. Cannot be updated."),
	F("dnsConfig", "object", ""),
	F("dnsPolicy", "string", ""),
	F("enableServiceLinks", "boolean", ""),
	LM("ephemeralContainers", CORE "Container", "name", NULL, ""),
	LM("hostAliases", CORE "HostAlias", "ip", NULL, ""),
	F("hostIPC", "boolean", ""),
	F("hostNetwork", "boolean", ""),
	F("hostPID", "boolean", ""),
	F("hostname", "string", ""),
	LM("imagePullSecrets", CORE "LocalObjectReference", "name", NULL,
	   "ImagePullSecrets is an optional list of references to secrets in "
	   "the same namespace to use for pulling any of the images used by "
	   "this PodSpec."),
	LM("initContainers", CORE "Container", "name", NULL,
	   "List of initialization containers belonging to the pod."),
	F("nodeName", "string",
	  "NodeName is a request to schedule this pod onto a specific node."),
	M("nodeSelector", "string",
	  "NodeSelector is a selector which must be true for the pod to fit on "
	  "a node."),
	M("overhead", QTY, ""),
	F("preemptionPolicy", "string", ""),
	F("priority", "integer", ""),
	F("priorityClassName", "string", ""),
	LA("readinessGates", CORE "PodReadinessGate", ""),
	F("restartPolicy", "string",
	  "Restart policy for all containers within the pod. One of Always, "
	  "OnFailure, Never. Default to Always."),
	F("runtimeClassName", "string", ""),
	F("schedulerName", "string", ""),
	F("securityContext", CORE "PodSecurityContext", ""),
	F("serviceAccount", "string", ""),
	F("serviceAccountName", "string", ""),
	F("setHostnameAsFQDN", "boolean", ""),
	F("shareProcessNamespace", "boolean", ""),
	F("subdomain", "string", ""),
	F("terminationGracePeriodSeconds", "int64",
	  "Optional duration in seconds the pod needs to terminate gracefully."),
	LA("tolerations", CORE "Toleration", "If specified, the pod's "
					      "tolerations."),
	LM("topologySpreadConstraints", CORE "TopologySpreadConstraint",
	   "topologyKey", "topologyKey,whenUnsatisfiable", ""),
	LMR("volumes", CORE "Volume", "name",
	    "List of volumes that can be mounted by containers belonging to the "
	    "pod."),
	END,
};

static const struct sim_field f_container[] = {
	LA("args", "string", "Arguments to the entrypoint."),
	LA("command", "string", "Entrypoint array. Not executed within a "
				"shell."),
	LM("env", CORE "EnvVar", "name", NULL,
	   "List of environment variables to set in the container. Cannot be "
	   "updated."),
	LA("envFrom", CORE "EnvFromSource", ""),
	F("image", "string", "Docker image name."),
	F("imagePullPolicy", "string",
	  "Image pull policy. One of Always, Never, IfNotPresent."),
	F("lifecycle", CORE "Lifecycle", ""),
	F("livenessProbe", CORE "Probe",
	  "Periodic probe of container liveness."),
	F("name", "string",
	  "Name of the container specified as a DNS_LABEL. Each container in a "
	  "pod must have a unique name (DNS_LABEL). Cannot be updated."),
	LM("ports", CORE "ContainerPort", "containerPort",
	   "containerPort,protocol",
	   "List of ports to expose from the container."),
	F("readinessProbe", CORE "Probe",
	  "Periodic probe of container service readiness."),
	F("resources", CORE "ResourceRequirements",
	  "Compute Resources required by this container. Cannot be updated."),
	F("securityContext", CORE "SecurityContext", ""),
	F("startupProbe", CORE "Probe", ""),
	F("stdin", "boolean", ""),
	F("stdinOnce", "boolean", ""),
	F("terminationMessagePath", "string", ""),
	F("terminationMessagePolicy", "string", ""),
	F("tty", "boolean", ""),
	LM("volumeDevices", CORE "VolumeDevice", "devicePath", NULL, ""),
	LM("volumeMounts", CORE "VolumeMount", "mountPath", NULL,
	   "Pod volumes to mount into the container's filesystem."),
	F("workingDir", "string", ""),
	END,
};

static const struct sim_field f_containerport[] = {
	F("containerPort", "integer",
	  "Number of port to expose on the pod's IP address."),
	F("hostIP", "string", ""), F("hostPort", "integer", ""),
	F("name", "string", ""),
	F("protocol", "string",
	  "Protocol for port. Must be UDP, TCP, or SCTP. Defaults to \"TCP\"."),
	END,
};

static const struct sim_field f_envvar[] = {
	F("name", "string", "Name of the environment variable. Must be a "
			    "C_IDENTIFIER."),
	F("value", "string", ""),
	F("valueFrom", CORE "EnvVarSource", ""),
	END,
};

static const struct sim_field f_envvarsource[] = {
	F("configMapKeyRef", CORE "ConfigMapKeySelector", ""),
	F("fieldRef", CORE "ObjectFieldSelector", ""),
	F("resourceFieldRef", CORE "ResourceFieldSelector", ""),
	F("secretKeyRef", CORE "SecretKeySelector", ""),
	END,
};

static const struct sim_field f_keysel[] = {
	F("key", "string", ""), F("name", "string", ""),
	F("optional", "boolean", ""),
	END,
};

static const struct sim_field f_fieldsel[] = {
	F("apiVersion", "string", ""), F("fieldPath", "string", ""),
	END,
};

static const struct sim_field f_resfieldsel[] = {
	F("containerName", "string", ""), F("divisor", QTY, ""),
	F("resource", "string", ""),
	END,
};

static const struct sim_field f_envfrom[] = {
	F("configMapRef", CORE "ConfigMapEnvSource", ""),
	F("prefix", "string", ""),
	F("secretRef", CORE "SecretEnvSource", ""),
	END,
};

static const struct sim_field f_envsource[] = {
	F("name", "string", ""), F("optional", "boolean", ""),
	END,
};

static const struct sim_field f_localref[] = {
	F("name", "string", "Name of the referent."),
	END,
};

static const struct sim_field f_resources[] = {
	M("limits", QTY, "Limits describes the maximum amount of compute "
			 "resources allowed."),
	M("requests", QTY, "Requests describes the minimum amount of compute "
			   "resources required."),
	END,
};

static const struct sim_field f_probe[] = {
	F("exec", CORE "ExecAction", ""),
	F("failureThreshold", "integer", ""),
	F("httpGet", CORE "HTTPGetAction", ""),
	F("initialDelaySeconds", "integer", ""),
	F("periodSeconds", "integer", ""),
	F("successThreshold", "integer", ""),
	F("tcpSocket", CORE "TCPSocketAction", ""),
	F("timeoutSeconds", "integer", ""),
	END,
};

static const struct sim_field f_exec[] = {
	LA("command", "string", ""),
	END,
};

static const struct sim_field f_httpget[] = {
	F("host", "string", ""),
	LA("httpHeaders", CORE "HTTPHeader", ""),
	F("path", "string", ""),
	F("port", INTSTR, ""),
	F("scheme", "string", ""),
	END,
};

static const struct sim_field f_header[] = {
	F("name", "string", ""), F("value", "string", ""),
	END,
};

static const struct sim_field f_tcp[] = {
	F("host", "string", ""), F("port", INTSTR, ""),
	END,
};

static const struct sim_field f_lifecycle[] = {
	F("postStart", CORE "Handler", ""), F("preStop", CORE "Handler", ""),
	END,
};

static const struct sim_field f_handler[] = {
	F("exec", CORE "ExecAction", ""),
	F("httpGet", CORE "HTTPGetAction", ""),
	F("tcpSocket", CORE "TCPSocketAction", ""),
	END,
};

static const struct sim_field f_volumemount[] = {
	F("mountPath", "string", ""), F("mountPropagation", "string", ""),
	F("name", "string", ""),      F("readOnly", "boolean", ""),
	F("subPath", "string", ""),   F("subPathExpr", "string", ""),
	END,
};

static const struct sim_field f_volumedevice[] = {
	F("devicePath", "string", ""), F("name", "string", ""),
	END,
};

static const struct sim_field f_volume[] = {
	F("awsElasticBlockStore", "object", ""),
	F("azureDisk", "object", ""),
	F("azureFile", "object", ""),
	F("cephfs", "object", ""),
	F("cinder", "object", ""),
	F("configMap", CORE "ConfigMapVolumeSource", ""),
	F("csi", "object", ""),
	F("downwardAPI", "object", ""),
	F("emptyDir", CORE "EmptyDirVolumeSource", ""),
	F("ephemeral", "object", ""),
	F("fc", "object", ""),
	F("flexVolume", "object", ""),
	F("flocker", "object", ""),
	F("gcePersistentDisk", "object", ""),
	F("gitRepo", "object", ""),
	F("glusterfs", "object", ""),
	F("hostPath", CORE "HostPathVolumeSource", ""),
	F("iscsi", "object", ""),
	F("name", "string", "Volume's name. Must be a DNS_LABEL and unique "
			    "within the pod."),
	F("nfs", "object", ""),
	F("persistentVolumeClaim", CORE "PersistentVolumeClaimVolumeSource", ""),
	F("photonPersistentDisk", "object", ""),
	F("portworxVolume", "object", ""),
	F("projected", "object", ""),
	F("quobyte", "object", ""),
	F("rbd", "object", ""),
	F("scaleIO", "object", ""),
	F("secret", CORE "SecretVolumeSource", ""),
	F("storageos", "object", ""),
	F("vsphereVolume", "object", ""),
	END,
};

static const struct sim_field f_cmvol[] = {
	F("defaultMode", "integer", ""),
	LA("items", CORE "KeyToPath", ""),
	F("name", "string", ""),
	F("optional", "boolean", ""),
	END,
};

static const struct sim_field f_secretvol[] = {
	F("defaultMode", "integer", ""),
	LA("items", CORE "KeyToPath", ""),
	F("optional", "boolean", ""),
	F("secretName", "string", ""),
	END,
};

static const struct sim_field f_keytopath[] = {
	F("key", "string", ""), F("mode", "integer", ""),
	F("path", "string", ""),
	END,
};

static const struct sim_field f_emptydir[] = {
	F("medium", "string", ""), F("sizeLimit", QTY, ""),
	END,
};

static const struct sim_field f_hostpath[] = {
	F("path", "string", ""), F("type", "string", ""),
	END,
};

static const struct sim_field f_pvcvol[] = {
	F("claimName", "string", ""), F("readOnly", "boolean", ""),
	END,
};

static const struct sim_field f_toleration[] = {
	F("effect", "string", ""), F("key", "string", ""),
	F("operator", "string", ""), F("tolerationSeconds", "int64", ""),
	F("value", "string", ""),
	END,
};

static const struct sim_field f_hostalias[] = {
	LA("hostnames", "string", ""), F("ip", "string", ""),
	END,
};

static const struct sim_field f_readinessgate[] = {
	F("conditionType", "string", ""),
	END,
};

static const struct sim_field f_tsc[] = {
	F("labelSelector", META "LabelSelector", ""),
	F("maxSkew", "integer", ""),
	F("topologyKey", "string", ""),
	F("whenUnsatisfiable", "string", ""),
	END,
};

static const struct sim_field f_podsc[] = {
	F("fsGroup", "int64", ""),
	F("fsGroupChangePolicy", "string", ""),
	F("runAsGroup", "int64", ""),
	F("runAsNonRoot", "boolean", ""),
	F("runAsUser", "int64", ""),
	F("seLinuxOptions", "object", ""),
	F("seccompProfile", "object", ""),
	LA("supplementalGroups", "int64", ""),
	LA("sysctls", "object", ""),
	F("windowsOptions", "object", ""),
	END,
};

static const struct sim_field f_sc[] = {
	F("allowPrivilegeEscalation", "boolean", ""),
	F("capabilities", "object", ""),
	F("privileged", "boolean", ""),
	F("procMount", "string", ""),
	F("readOnlyRootFilesystem", "boolean", ""),
	F("runAsGroup", "int64", ""),
	F("runAsNonRoot", "boolean", ""),
	F("runAsUser", "int64", ""),
	F("seLinuxOptions", "object", ""),
	F("seccompProfile", "object", ""),
	F("windowsOptions", "object", ""),
	END,
};

static const struct sim_field f_podstatus[] = {
	LM("conditions", CORE "PodCondition", "type", NULL,
	   "Current service state of pod."),
	LA("containerStatuses", CORE "ContainerStatus", ""),
	LA("ephemeralContainerStatuses", CORE "ContainerStatus", ""),
	F("hostIP", "string", ""),
	LA("initContainerStatuses", CORE "ContainerStatus", ""),
	F("message", "string", ""),
	F("nominatedNodeName", "string", ""),
	F("phase", "string",
	  "The phase of a Pod is a simple, high-level summary of where the Pod "
	  "is in its lifecycle."),
	F("podIP", "string", ""),
	LM("podIPs", CORE "PodIP", "ip", NULL, ""),
	F("qosClass", "string", ""),
	F("reason", "string", ""),
	F("startTime", TIME, ""),
	END,
};

static const struct sim_field f_podip[] = {
	F("ip", "string", ""),
	END,
};

static const struct sim_field f_podcond[] = {
	F("lastProbeTime", TIME, ""), F("lastTransitionTime", TIME, ""),
	F("message", "string", ""),   F("reason", "string", ""),
	F("status", "string", ""),    F("type", "string", ""),
	END,
};

static const struct sim_field f_cstatus[] = {
	F("containerID", "string", ""), F("image", "string", ""),
	F("imageID", "string", ""),
	F("lastState", CORE "ContainerState", ""),
	F("name", "string", ""),        F("ready", "boolean", ""),
	F("restartCount", "integer", ""), F("started", "boolean", ""),
	F("state", CORE "ContainerState", ""),
	END,
};

static const struct sim_field f_cstate[] = {
	F("running", CORE "ContainerStateRunning", ""),
	F("terminated", CORE "ContainerStateTerminated", ""),
	F("waiting", CORE "ContainerStateWaiting", ""),
	END,
};

static const struct sim_field f_csrunning[] = {
	F("startedAt", TIME, ""),
	END,
};

static const struct sim_field f_csterm[] = {
	F("containerID", "string", ""), F("exitCode", "integer", ""),
	F("finishedAt", TIME, ""),      F("message", "string", ""),
	F("reason", "string", ""),      F("signal", "integer", ""),
	F("startedAt", TIME, ""),
	END,
};

static const struct sim_field f_cswait[] = {
	F("message", "string", ""), F("reason", "string", ""),
	END,
};

/* ---- workloads -------------------------------------------------------- */

static const struct sim_field f_deployment[] = {
	TOP(APPS "DeploymentSpec",
	    "Specification of the desired behavior of the Deployment.",
	    APPS "DeploymentStatus",
	    "Most recently observed status of the Deployment."),
	END,
};

static const struct sim_field f_deployspec[] = {
	F("minReadySeconds", "integer",
	  "Minimum number of seconds for which a newly created pod should be "
	  "ready without any of its container crashing, for it to be "
	  "considered available. Defaults to 0 (pod will be considered "
	  "available as soon as it is ready)"),
	F("paused", "boolean", "Indicates that the deployment is paused."),
	F("progressDeadlineSeconds", "integer",
	  "The maximum time in seconds for a deployment to make progress "
	  "before it is considered to be failed. Defaults to 600s."),
	F("replicas", "integer",
	  "Number of desired pods. This is a pointer to distinguish between "
	  "explicit zero and not specified. Defaults to 1."),
	F("revisionHistoryLimit", "integer",
	  "The number of old ReplicaSets to retain to allow rollback. Defaults "
	  "to 10."),
	F("selector", META "LabelSelector",
	  "Label selector for pods. Existing ReplicaSets whose pods are "
	  "selected by this will be the ones affected by this deployment. It "
	  "must match the pod template's labels."),
	R("strategy", APPS "DeploymentStrategy",
	  "The deployment strategy to use to replace existing pods with new "
	  "ones."),
	F("template", CORE "PodTemplateSpec",
	  "Template describes the pods that will be created."),
	END,
};

static const struct sim_field f_deploystrategy[] = {
	F("rollingUpdate", APPS "RollingUpdateDeployment",
	  "Rolling update config params. Present only if DeploymentStrategyType "
	  "= RollingUpdate."),
	F("type", "string",
	  "Type of deployment. Can be \"Recreate\" or \"RollingUpdate\". "
	  "Default is RollingUpdate."),
	END,
};

static const struct sim_field f_rollingupdate[] = {
	F("maxSurge", INTSTR,
	  "The maximum number of pods that can be scheduled above the desired "
	  "number of pods. Defaults to 25%."),
	F("maxUnavailable", INTSTR,
	  "The maximum number of pods that can be unavailable during the "
	  "update. Defaults to 25%."),
	END,
};

static const struct sim_field f_deploystatus[] = {
	F("availableReplicas", "integer", ""),
	F("collisionCount", "integer", ""),
	LM("conditions", APPS "DeploymentCondition", "type", NULL,
	   "Represents the latest available observations of a deployment's "
	   "current state."),
	F("observedGeneration", "int64", ""),
	F("readyReplicas", "integer", ""),
	F("replicas", "integer", ""),
	F("unavailableReplicas", "integer", ""),
	F("updatedReplicas", "integer", ""),
	END,
};

static const struct sim_field f_condition[] = {
	F("lastTransitionTime", TIME, ""), F("lastUpdateTime", TIME, ""),
	F("message", "string", ""),        F("reason", "string", ""),
	F("status", "string", ""),         F("type", "string", ""),
	END,
};

static const struct sim_field f_replicaset[] = {
	TOP(APPS "ReplicaSetSpec", "Spec defines the specification of the "
				   "desired behavior of the ReplicaSet.",
	    APPS "ReplicaSetStatus", "Status is the most recently observed "
				     "status of the ReplicaSet."),
	END,
};

static const struct sim_field f_rsspec[] = {
	F("minReadySeconds", "integer", ""),
	F("replicas", "integer", "Replicas is the number of desired replicas."),
	F("selector", META "LabelSelector", ""),
	F("template", CORE "PodTemplateSpec", ""),
	END,
};

static const struct sim_field f_rsstatus[] = {
	F("availableReplicas", "integer", ""),
	LM("conditions", APPS "ReplicaSetCondition", "type", NULL, ""),
	F("fullyLabeledReplicas", "integer", ""),
	F("observedGeneration", "int64", ""),
	F("readyReplicas", "integer", ""),
	F("replicas", "integer", ""),
	END,
};

static const struct sim_field f_job[] = {
	TOP(BATCH "JobSpec", "Specification of the desired behavior of a job.",
	    BATCH "JobStatus", "Current status of a job."),
	END,
};

static const struct sim_field f_jobspec[] = {
	F("activeDeadlineSeconds", "int64", ""),
	F("backoffLimit", "integer",
	  "Specifies the number of retries before marking this job failed. "
	  "Defaults to 6"),
	F("completions", "integer", ""),
	F("manualSelector", "boolean", ""),
	F("parallelism", "integer", ""),
	F("selector", META "LabelSelector", ""),
	F("template", CORE "PodTemplateSpec", ""),
	F("ttlSecondsAfterFinished", "integer", ""),
	END,
};

static const struct sim_field f_jobstatus[] = {
	F("active", "integer", ""),
	F("completionTime", TIME, ""),
	LA("conditions", BATCH "JobCondition", ""),
	F("failed", "integer", ""),
	F("startTime", TIME, ""),
	F("succeeded", "integer", ""),
	END,
};

static const struct sim_field f_jobcond[] = {
	F("lastProbeTime", TIME, ""), F("lastTransitionTime", TIME, ""),
	F("message", "string", ""),   F("reason", "string", ""),
	F("status", "string", ""),    F("type", "string", ""),
	END,
};

/* ---- services, endpoints, config ------------------------------------------ */

static const struct sim_field f_service[] = {
	TOP(CORE "ServiceSpec", "Spec defines the behavior of a service.",
	    CORE "ServiceStatus", "Most recently observed status of the "
				  "service."),
	END,
};

static const struct sim_field f_servicespec[] = {
	F("clusterIP", "string", ""),
	LA("clusterIPs", "string", ""),
	LA("externalIPs", "string", ""),
	F("externalName", "string", ""),
	F("allocateLoadBalancerNodePorts", "boolean", ""),
	F("externalTrafficPolicy", "string", ""),
	F("healthCheckNodePort", "integer", ""),
	F("ipFamilyPolicy", "string", ""),
	LA("ipFamilies", "string", ""),
	F("loadBalancerIP", "string", ""),
	LA("loadBalancerSourceRanges", "string", ""),
	LM("ports", CORE "ServicePort", "port", "port,protocol",
	   "The list of ports that are exposed by this service."),
	F("publishNotReadyAddresses", "boolean", ""),
	M("selector", "string",
	  "Route service traffic to pods with label keys and values matching "
	  "this selector."),
	F("sessionAffinity", "string", ""),
	F("sessionAffinityConfig", "object", ""),
	LA("topologyKeys", "string", ""),
	F("type", "string",
	  "type determines how the Service is exposed. Defaults to ClusterIP."),
	END,
};

static const struct sim_field f_serviceport[] = {
	F("appProtocol", "string", ""), F("name", "string", ""),
	F("nodePort", "integer", ""),   F("port", "integer", ""),
	F("protocol", "string", ""),    F("targetPort", INTSTR, ""),
	END,
};

static const struct sim_field f_servicestatus[] = {
	F("loadBalancer", "object", ""),
	END,
};

static const struct sim_field f_endpoints[] = {
	F("apiVersion", "string", D_APIVERSION), F("kind", "string", D_KIND),
	F("metadata", META "ObjectMeta", D_METADATA),
	LA("subsets", CORE "EndpointSubset", ""),
	END,
};

static const struct sim_field f_subset[] = {
	LA("addresses", CORE "EndpointAddress", ""),
	LA("notReadyAddresses", CORE "EndpointAddress", ""),
	LA("ports", CORE "EndpointPort", ""),
	END,
};

static const struct sim_field f_epaddr[] = {
	F("hostname", "string", ""), F("ip", "string", ""),
	F("nodeName", "string", ""),
	F("targetRef", CORE "ObjectReference", ""),
	END,
};

static const struct sim_field f_epport[] = {
	F("appProtocol", "string", ""), F("name", "string", ""),
	F("port", "integer", ""),       F("protocol", "string", ""),
	END,
};

static const struct sim_field f_objref[] = {
	F("apiVersion", "string", ""), F("fieldPath", "string", ""),
	F("kind", "string", ""),       F("name", "string", ""),
	F("namespace", "string", ""),  F("resourceVersion", "string", ""),
	F("uid", "string", ""),
	END,
};

static const struct sim_field f_configmap[] = {
	F("apiVersion", "string", D_APIVERSION),
	M("binaryData", "byte", ""),
	M("data", "string", "Data contains the configuration data."),
	F("immutable", "boolean", ""),
	F("kind", "string", D_KIND),
	F("metadata", META "ObjectMeta", D_METADATA),
	END,
};

static const struct sim_field f_secret[] = {
	F("apiVersion", "string", D_APIVERSION),
	M("data", "byte", "Data contains the secret data."),
	F("immutable", "boolean", ""),
	F("kind", "string", D_KIND),
	F("metadata", META "ObjectMeta", D_METADATA),
	M("stringData", "string", ""),
	F("type", "string", "Used to facilitate programmatic handling of "
			    "secret data."),
	END,
};

static const struct sim_field f_event[] = {
	F("action", "string", ""),
	F("apiVersion", "string", D_APIVERSION),
	F("count", "integer", "The number of times this event has occurred."),
	F("eventTime", MTIME, ""),
	F("firstTimestamp", TIME, ""),
	F("involvedObject", CORE "ObjectReference",
	  "The object that this event is about."),
	F("kind", "string", D_KIND),
	F("lastTimestamp", TIME, ""),
	F("message", "string", ""),
	F("metadata", META "ObjectMeta", D_METADATA),
	F("reason", "string", ""),
	F("related", CORE "ObjectReference", ""),
	F("reportingComponent", "string", ""),
	F("reportingInstance", "string", ""),
	F("series", "object", ""),
	F("source", CORE "EventSource", ""),
	F("type", "string", ""),
	END,
};

static const struct sim_field f_eventsource[] = {
	F("component", "string", ""), F("host", "string", ""),
	END,
};

/* ---- cluster-scoped ------------------------------------------------------- */

static const struct sim_field f_namespace[] = {
	TOP(CORE "NamespaceSpec", "", CORE "NamespaceStatus", ""),
	END,
};

static const struct sim_field f_nsspec[] = {
	LA("finalizers", "string", ""),
	END,
};

static const struct sim_field f_nsstatus[] = {
	LM("conditions", CORE "NamespaceCondition", "type", NULL, ""),
	F("phase", "string", ""),
	END,
};

static const struct sim_field f_node[] = {
	TOP(CORE "NodeSpec", "", CORE "NodeStatus", ""),
	END,
};

static const struct sim_field f_nodespec[] = {
	F("podCIDR", "string", ""),
	LS("podCIDRs", "string", ""),
	F("providerID", "string", ""),
	LA("taints", CORE "Taint", ""),
	F("unschedulable", "boolean", ""),
	END,
};

static const struct sim_field f_taint[] = {
	F("effect", "string", ""), F("key", "string", ""),
	F("timeAdded", TIME, ""),  F("value", "string", ""),
	END,
};

static const struct sim_field f_nodestatus[] = {
	LM("addresses", CORE "NodeAddress", "type", NULL, ""),
	M("allocatable", QTY, ""),
	M("capacity", QTY, ""),
	LM("conditions", CORE "NodeCondition", "type", NULL, ""),
	F("daemonEndpoints", "object", ""),
	LA("images", "object", ""),
	F("nodeInfo", CORE "NodeSystemInfo", ""),
	F("phase", "string", ""),
	END,
};

static const struct sim_field f_nodeaddr[] = {
	F("address", "string", ""), F("type", "string", ""),
	END,
};

static const struct sim_field f_nodecond[] = {
	F("lastHeartbeatTime", TIME, ""), F("lastTransitionTime", TIME, ""),
	F("message", "string", ""),       F("reason", "string", ""),
	F("status", "string", ""),        F("type", "string", ""),
	END,
};

static const struct sim_field f_nodeinfo[] = {
	F("architecture", "string", ""),
	F("bootID", "string", ""),
	F("containerRuntimeVersion", "string", ""),
	F("kernelVersion", "string", ""),
	F("kubeProxyVersion", "string", ""),
	F("kubeletVersion", "string", ""),
	F("machineID", "string", ""),
	F("operatingSystem", "string", ""),
	F("osImage", "string", ""),
	F("systemUUID", "string", ""),
	END,
};

static const struct sim_field f_nscond[] = {
	F("lastTransitionTime", TIME, ""), F("message", "string", ""),
	F("reason", "string", ""),         F("status", "string", ""),
	F("type", "string", ""),
	END,
};

#define T(n, d, f) { n, d, f, NULL, NULL, NULL, 0 }
#define TC(n, d, f) { n, d, f, NULL, NULL, NULL, 1 } /* closed */
#define K(n, d, f, g, v, k) { n, d, f, g, v, k, 0 }
#define KC(n, d, f, g, v, k) { n, d, f, g, v, k, 1 }

const struct sim_type sim_schema_types[] = {
	KC(CORE "Pod",
	  "Pod is a collection of containers that can run on a host. This "
	  "resource is created by clients and scheduled onto hosts.",
	  f_pod, "", "v1", "Pod"),
	KC(APPS "Deployment",
	  "Deployment enables declarative updates for Pods and ReplicaSets.",
	  f_deployment, "apps", "v1", "Deployment"),
	KC(APPS "ReplicaSet",
	  "ReplicaSet ensures that a specified number of pod replicas are "
	  "running at any given time.",
	  f_replicaset, "apps", "v1", "ReplicaSet"),
	KC(BATCH "Job", "Job represents the configuration of a single job.",
	  f_job, "batch", "v1", "Job"),
	KC(CORE "Service",
	  "Service is a named abstraction of software service (for example, "
	  "mysql) consisting of local port (for example 3306) that the proxy "
	  "listens on, and the selector that determines which pods will answer "
	  "requests sent through the proxy.",
	  f_service, "", "v1", "Service"),
	KC(CORE "Endpoints",
	  "Endpoints is a collection of endpoints that implement the actual "
	  "service.",
	  f_endpoints, "", "v1", "Endpoints"),
	KC(CORE "Event",
	  "Event is a report of an event somewhere in the cluster.", f_event,
	  "", "v1", "Event"),
	KC(CORE "ConfigMap",
	  "ConfigMap holds configuration data for pods to consume.",
	  f_configmap, "", "v1", "ConfigMap"),
	KC(CORE "Secret",
	  "Secret holds secret data of a certain type. The total bytes of the "
	  "values in the Data field must be less than MaxSecretSize bytes.",
	  f_secret, "", "v1", "Secret"),
	KC(CORE "Namespace",
	  "Namespace provides a scope for Names. Use of multiple namespaces is "
	  "optional.",
	  f_namespace, "", "v1", "Namespace"),
	KC(CORE "Node",
	  "Node is a worker node in Kubernetes. Each node will have a unique "
	  "identifier in the cache (i.e. in etcd).",
	  f_node, "", "v1", "Node"),
	TC(META "ObjectMeta",
	  "ObjectMeta is metadata that all persisted resources must have, which "
	  "includes all objects users must create.",
	  f_objectmeta),
	TC(META "OwnerReference",
	  "OwnerReference contains enough information to let you identify an "
	  "owning object.",
	  f_ownerref),
	T(META "ManagedFieldsEntry",
	  "ManagedFieldsEntry is a workflow-id, a FieldSet and the group "
	  "version of the resource that the fieldset applies to.",
	  f_managed),
	TC(META "LabelSelector",
	  "A label selector is a label query over a set of resources.",
	  f_labelselector),
	TC(META "LabelSelectorRequirement",
	  "A label selector requirement is a selector that contains values, a "
	  "key, and an operator that relates the key and values.",
	  f_lsreq),
	TC(CORE "PodTemplateSpec",
	  "PodTemplateSpec describes the data a pod should have when created "
	  "from a template",
	  f_podtemplatespec),
	TC(CORE "PodSpec", "PodSpec is a description of a pod.", f_podspec),
	TC(CORE "Container",
	  "A single application container that you want to run within a pod.",
	  f_container),
	TC(CORE "ContainerPort",
	  "ContainerPort represents a network port in a single container.",
	  f_containerport),
	TC(CORE "EnvVar",
	  "EnvVar represents an environment variable present in a Container.",
	  f_envvar),
	TC(CORE "EnvVarSource",
	  "EnvVarSource represents a source for the value of an EnvVar.",
	  f_envvarsource),
	TC(CORE "ConfigMapKeySelector", "Selects a key from a ConfigMap.",
	  f_keysel),
	TC(CORE "SecretKeySelector",
	  "SecretKeySelector selects a key of a Secret.", f_keysel),
	TC(CORE "ObjectFieldSelector",
	  "ObjectFieldSelector selects an APIVersioned field of an object.",
	  f_fieldsel),
	TC(CORE "ResourceFieldSelector",
	  "ResourceFieldSelector represents container resources (cpu, memory) "
	  "and their output format",
	  f_resfieldsel),
	TC(CORE "EnvFromSource",
	  "EnvFromSource represents the source of a set of ConfigMaps",
	  f_envfrom),
	TC(CORE "ConfigMapEnvSource",
	  "ConfigMapEnvSource selects a ConfigMap to populate the environment "
	  "variables with.",
	  f_envsource),
	TC(CORE "SecretEnvSource",
	  "SecretEnvSource selects a Secret to populate the environment "
	  "variables with.",
	  f_envsource),
	TC(CORE "LocalObjectReference",
	  "LocalObjectReference contains enough information to let you locate "
	  "the referenced object inside the same namespace.",
	  f_localref),
	TC(CORE "ResourceRequirements",
	  "ResourceRequirements describes the compute resource requirements.",
	  f_resources),
	TC(CORE "Probe",
	  "Probe describes a health check to be performed against a container "
	  "to determine whether it is alive or ready to receive traffic.",
	  f_probe),
	TC(CORE "ExecAction",
	  "ExecAction describes a \"run in container\" action.", f_exec),
	TC(CORE "HTTPGetAction",
	  "HTTPGetAction describes an action based on HTTP Get requests.",
	  f_httpget),
	TC(CORE "HTTPHeader",
	  "HTTPHeader describes a custom header to be used in HTTP probes",
	  f_header),
	TC(CORE "TCPSocketAction",
	  "TCPSocketAction describes an action based on opening a socket",
	  f_tcp),
	TC(CORE "Lifecycle",
	  "Lifecycle describes actions that the management system should take "
	  "in response to container lifecycle events.",
	  f_lifecycle),
	TC(CORE "Handler",
	  "Handler defines a specific action that should be taken", f_handler),
	TC(CORE "VolumeMount",
	  "VolumeMount describes a mounting of a Volume within a container.",
	  f_volumemount),
	TC(CORE "VolumeDevice",
	  "volumeDevice describes a mapping of a raw block device within a "
	  "container.",
	  f_volumedevice),
	TC(CORE "Volume",
	  "Volume represents a named volume in a pod that may be accessed by "
	  "any container in the pod.",
	  f_volume),
	TC(CORE "ConfigMapVolumeSource",
	  "Adapts a ConfigMap into a volume.", f_cmvol),
	TC(CORE "SecretVolumeSource",
	  "Adapts a Secret into a volume.", f_secretvol),
	TC(CORE "KeyToPath", "Maps a string key to a path within a volume.",
	  f_keytopath),
	TC(CORE "EmptyDirVolumeSource",
	  "Represents an empty directory for a pod.", f_emptydir),
	TC(CORE "HostPathVolumeSource",
	  "Represents a host path mapped into a pod.", f_hostpath),
	TC(CORE "PersistentVolumeClaimVolumeSource",
	  "PersistentVolumeClaimVolumeSource references the user's PVC in the "
	  "same namespace.",
	  f_pvcvol),
	TC(CORE "Toleration",
	  "The pod this Toleration is attached to tolerates any taint that "
	  "matches the triple <key,value,effect> using the matching operator "
	  "<operator>.",
	  f_toleration),
	TC(CORE "HostAlias",
	  "HostAlias holds the mapping between IP and hostnames that will be "
	  "injected as an entry in the pod's hosts file.",
	  f_hostalias),
	TC(CORE "PodReadinessGate",
	  "PodReadinessGate contains the reference to a pod condition",
	  f_readinessgate),
	TC(CORE "TopologySpreadConstraint",
	  "TopologySpreadConstraint specifies how to spread matching pods "
	  "among the given topology.",
	  f_tsc),
	T(CORE "Affinity", "Affinity is a group of affinity scheduling rules.",
	  NULL),
	TC(CORE "PodSecurityContext",
	  "PodSecurityContext holds pod-level security attributes and common "
	  "container settings.",
	  f_podsc),
	TC(CORE "SecurityContext",
	  "SecurityContext holds security configuration that will be applied "
	  "to a container.",
	  f_sc),
	T(CORE "PodStatus",
	  "PodStatus represents information about the status of a pod.",
	  f_podstatus),
	T(CORE "PodIP", "IP address information for entries in the (plural) "
			"PodIPs field.",
	  f_podip),
	T(CORE "PodCondition",
	  "PodCondition contains details for the current condition of this "
	  "pod.",
	  f_podcond),
	T(CORE "ContainerStatus",
	  "ContainerStatus contains details for the current status of this "
	  "container.",
	  f_cstatus),
	T(CORE "ContainerState",
	  "ContainerState holds a possible state of container.", f_cstate),
	T(CORE "ContainerStateRunning",
	  "ContainerStateRunning is a running state of a container.",
	  f_csrunning),
	T(CORE "ContainerStateTerminated",
	  "ContainerStateTerminated is a terminated state of a container.",
	  f_csterm),
	T(CORE "ContainerStateWaiting",
	  "ContainerStateWaiting is a waiting state of a container.", f_cswait),
	TC(APPS "DeploymentSpec",
	  "DeploymentSpec is the specification of the desired behavior of the "
	  "Deployment.",
	  f_deployspec),
	TC(APPS "DeploymentStrategy",
	  "DeploymentStrategy describes how to replace existing pods with new "
	  "ones.",
	  f_deploystrategy),
	TC(APPS "RollingUpdateDeployment",
	  "Spec to control the desired behavior of rolling update.",
	  f_rollingupdate),
	T(APPS "DeploymentStatus",
	  "DeploymentStatus is the most recently observed status of the "
	  "Deployment.",
	  f_deploystatus),
	T(APPS "DeploymentCondition",
	  "DeploymentCondition describes the state of a deployment at a certain "
	  "point.",
	  f_condition),
	TC(APPS "ReplicaSetSpec",
	  "ReplicaSetSpec is the specification of a ReplicaSet.", f_rsspec),
	T(APPS "ReplicaSetStatus",
	  "ReplicaSetStatus represents the current status of a ReplicaSet.",
	  f_rsstatus),
	T(APPS "ReplicaSetCondition",
	  "ReplicaSetCondition describes the state of a replica set at a "
	  "certain point.",
	  f_condition),
	TC(BATCH "JobSpec", "JobSpec describes how the job execution will look "
			   "like.",
	  f_jobspec),
	T(BATCH "JobStatus", "JobStatus represents the current state of a Job.",
	  f_jobstatus),
	T(BATCH "JobCondition",
	  "JobCondition describes current state of a job.", f_jobcond),
	TC(CORE "ServiceSpec",
	  "ServiceSpec describes the attributes that a user creates on a "
	  "service.",
	  f_servicespec),
	TC(CORE "ServicePort",
	  "ServicePort contains information on service's port.", f_serviceport),
	T(CORE "ServiceStatus",
	  "ServiceStatus represents the current status of a service.",
	  f_servicestatus),
	T(CORE "EndpointSubset",
	  "EndpointSubset is a group of addresses with a common set of ports.",
	  f_subset),
	T(CORE "EndpointAddress",
	  "EndpointAddress is a tuple that describes single IP address.",
	  f_epaddr),
	T(CORE "EndpointPort",
	  "EndpointPort is a tuple that describes a single port.", f_epport),
	T(CORE "ObjectReference",
	  "ObjectReference contains enough information to let you inspect or "
	  "modify the referred object.",
	  f_objref),
	T(CORE "EventSource",
	  "EventSource contains information for an event.", f_eventsource),
	TC(CORE "NamespaceSpec",
	  "NamespaceSpec describes the attributes on a Namespace.", f_nsspec),
	T(CORE "NamespaceStatus",
	  "NamespaceStatus is information about the current status of a "
	  "Namespace.",
	  f_nsstatus),
	T(CORE "NamespaceCondition",
	  "NamespaceCondition contains details about state of namespace.",
	  f_nscond),
	T(CORE "NodeSpec",
	  "NodeSpec describes the attributes that a node is created with.",
	  f_nodespec),
	T(CORE "Taint",
	  "The node this Taint is attached to has the \"effect\" on any pod "
	  "that does not tolerate the Taint.",
	  f_taint),
	T(CORE "NodeStatus",
	  "NodeStatus is information about the current status of a node.",
	  f_nodestatus),
	T(CORE "NodeAddress",
	  "NodeAddress contains information for the node's address.",
	  f_nodeaddr),
	T(CORE "NodeCondition",
	  "NodeCondition contains condition information for a node.",
	  f_nodecond),
	T(CORE "NodeSystemInfo",
	  "NodeSystemInfo is a set of ids/uuids to uniquely identify the node.",
	  f_nodeinfo),
	{ NULL, NULL, NULL, NULL, NULL, NULL, 0 },
};

/* The type named name (borrowed), or NULL. */
const struct sim_type *sim_schema_type(const char *name)
{
	if (!name)
		return NULL;
	for (const struct sim_type *t = sim_schema_types; t->name; t++)
		if (!strcmp(t->name, name))
			return t;
	return NULL;
}

/* The top-level type of group/kind (borrowed), or NULL. */
const struct sim_type *sim_schema_root(const char *group, const char *kind)
{
	for (const struct sim_type *t = sim_schema_types; t->name; t++)
		if (t->kind && !strcmp(t->group, group) && !strcmp(t->kind, kind))
			return t;
	return NULL;
}

/* Field name of type t (borrowed), or NULL. */
const struct sim_field *sim_schema_field(const struct sim_type *t,
					 const char *name)
{
	if (!t || !t->fields || !name)
		return NULL;
	for (const struct sim_field *f = t->fields; f->name; f++)
		if (!strcmp(f->name, name))
			return f;
	return NULL;
}
