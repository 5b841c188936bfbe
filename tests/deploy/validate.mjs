// tests/deploy/validate.mjs - deploy/kubernetes, offline: every manifest
// the kustomization lists is valid against the Kubernetes OpenAPI schemas
// (kubernetes-models), every file is listed, and the DaemonSet has the shape
// docs/deployment.md promises. Prints one line per check and a summary;
// exits 1 on any failure. Run by tests/deploy.sh.
import { readFileSync, readdirSync, unlinkSync, writeFileSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import yaml from "js-yaml";
import { ConfigMap, Namespace, ServiceAccount } from "kubernetes-models/v1";
import { DaemonSet } from "kubernetes-models/apps/v1";
import { ClusterRole, ClusterRoleBinding } from "kubernetes-models/rbac.authorization.k8s.io/v1";

const dir = process.argv[2];
const models = {
  "v1/Namespace": Namespace,
  "v1/ServiceAccount": ServiceAccount,
  "v1/ConfigMap": ConfigMap,
  "apps/v1/DaemonSet": DaemonSet,
  "rbac.authorization.k8s.io/v1/ClusterRole": ClusterRole,
  "rbac.authorization.k8s.io/v1/ClusterRoleBinding": ClusterRoleBinding,
};
let pass = 0, fail = 0;
function check(name, ok, why = "") {
  if (ok) {
    pass++;
    console.log(`ok   ${name}`);
  } else {
    fail++;
    console.log(`FAIL ${name}${why ? `\n    | ${why}` : ""}`);
  }
}

const kust = yaml.load(readFileSync(join(dir, "kustomization.yaml"), "utf8"));
const files = readdirSync(dir).filter((f) => f.endsWith(".yaml") && f !== "kustomization.yaml");
check("kustomization lists every manifest, and only those",
  JSON.stringify([...kust.resources].sort()) === JSON.stringify([...files].sort()),
  `listed ${kust.resources}, present ${files}`);

const docs = [];
for (const f of kust.resources)
  for (const d of yaml.loadAll(readFileSync(join(dir, f), "utf8"))) if (d) docs.push({ f, d });
for (const { f, d } of docs) {
  const key = `${d.apiVersion}/${d.kind}`;
  const Model = models[key];
  if (!Model) {
    check(`${f}: ${key} is a kind this test knows`, false);
    continue;
  }
  try {
    new Model(d).validate();
    check(`${f}: ${d.kind} ${d.metadata.name} is valid against the ${key} schema`, true);
  } catch (e) {
    check(`${f}: ${d.kind} ${d.metadata.name} is valid against the ${key} schema`, false, e.message);
  }
}

const of = (kind) => docs.filter(({ d }) => d.kind === kind).map(({ d }) => d);
const [ds] = of("DaemonSet"), [sa] = of("ServiceAccount"), [role] = of("ClusterRole");
const [binding] = of("ClusterRoleBinding"), [cm] = of("ConfigMap"), [ns] = of("Namespace");
const pod = ds.spec.template.spec, c = pod.containers[0];
const mount = (path) => (c.volumeMounts || []).find((m) => m.mountPath === path);
const volume = (m) => m && (pod.volumes || []).find((v) => v.name === m.name);
const hostPath = (path) => volume(mount(path))?.hostPath?.path === path;

check("every object in the kustomization's namespace",
  docs.every(({ d }) => d.kind === "Namespace" || d.kind.startsWith("Cluster") || d.metadata.namespace === kust.namespace));
check("the namespace allows privileged pods (Pod Security)",
  ns.metadata.name === kust.namespace && ns.metadata.labels?.["pod-security.kubernetes.io/enforce"] === "privileged");
check("privileged container, host PID namespace (peer pids name host processes)",
  c.securityContext?.privileged === true && pod.hostPID === true);
check("bpffs from the host, mount propagation Bidirectional",
  hostPath("/sys/fs/bpf") && mount("/sys/fs/bpf").mountPropagation === "Bidirectional");
check("securityfs, cgroup v2 and /run/livegrant from the host",
  hostPath("/sys/kernel/security") && hostPath("/sys/fs/cgroup") && hostPath("/run/livegrant"));
check("BTF from the host, read-only", hostPath("/sys/kernel/btf") && mount("/sys/kernel/btf").readOnly === true);
check("system-node-critical, tolerates every taint",
  pod.priorityClassName === "system-node-critical" &&
  (pod.tolerations || []).some((t) => t.operator === "Exists" && !t.key && !t.effect));
check("rolling update, one node at a time",
  ds.spec.updateStrategy?.type === "RollingUpdate" && ds.spec.updateStrategy.rollingUpdate?.maxUnavailable === 1);
const health = (p) => JSON.stringify(p?.exec?.command) === JSON.stringify(["/usr/bin/livegrant", "health"]);
check("startup, readiness and liveness probes run livegrant health",
  health(c.startupProbe) && health(c.readinessProbe) && health(c.livenessProbe));
const ann = ds.spec.template.metadata.annotations || {};
const port = (c.ports || []).find((p) => p.name === "metrics");
check("Prometheus scrape annotations name the metrics port",
  ann["prometheus.io/scrape"] === "true" && port && ann["prometheus.io/port"] === String(port.containerPort));
check("the pod runs as the ServiceAccount the binding names",
  pod.serviceAccountName === sa.metadata.name && binding.subjects.some((s) => s.kind === "ServiceAccount" &&
    s.name === sa.metadata.name && s.namespace === sa.metadata.namespace) && binding.roleRef.name === role.metadata.name);
check("least RBAC: get on nodes/proxy (the kubelet's /pods), nothing else",
  role.rules.length === 1 && JSON.stringify(role.rules[0].resources) === '["nodes/proxy"]' &&
  JSON.stringify(role.rules[0].verbs) === '["get"]');
const cfgMount = mount("/etc/livegrant");
check("the config comes from the ConfigMap, read-only",
  cfgMount?.readOnly === true && volume(cfgMount)?.configMap?.name === cm.metadata.name);
const cfg = yaml.load(cm.data["livegrant.yaml"]);
check("the ConfigMap's config names bundles it carries, and metrics on the scraped port",
  Object.values(cfg.domains).every((d) => d.trust_bundle.startsWith("/etc/livegrant/") &&
    d.trust_bundle.slice("/etc/livegrant/".length) in cm.data) &&
  cfg.metrics_listen.endsWith(`:${port?.containerPort}`) && cfg.state_dir === "/run/livegrant");
// livegrantd's own parser on the ConfigMap's config (argv[3]: the binary).
const cfgFile = join(process.env.TMPDIR || "/tmp", `livegrant-configmap-${process.pid}.yaml`);
writeFileSync(cfgFile, cm.data["livegrant.yaml"]);
try {
  execFileSync(process.argv[3], ["--config", cfgFile, "--check-config"], { stdio: "pipe" });
  check("livegrantd --check-config accepts the ConfigMap's livegrant.yaml", true);
} catch (e) {
  check("livegrantd --check-config accepts the ConfigMap's livegrant.yaml", false, String(e.stderr));
} finally {
  unlinkSync(cfgFile);
}
console.log(`deploy: ${pass} passed, ${fail} failed`);
process.exit(fail ? 1 : 0);
