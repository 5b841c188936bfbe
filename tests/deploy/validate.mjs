// tests/deploy/validate.mjs - deploy/kubernetes, offline: every manifest
// the kustomization lists is valid against the Kubernetes OpenAPI schemas
// (kubernetes-models), every file is listed, and the DaemonSet has the shape
// docs/deployment.md promises. Prints one line per check and a summary;
// exits 1 on any failure. Run by tests/deploy.sh.
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
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
const [ds] = of("DaemonSet"), [sa] = of("ServiceAccount"), [cm] = of("ConfigMap");
const [ns] = of("Namespace");
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
const budget = (p) => (p.periodSeconds || 10) * (p.failureThreshold || 3);
check("the startup probe allows 10 minutes (the verifier on a slow node), each probe 5 s or more",
  budget(c.startupProbe) >= 600 &&
  [c.startupProbe, c.readinessProbe, c.livenessProbe].every((p) => (p.timeoutSeconds || 1) >= 5));
const mounts = c.volumeMounts || [], vols = pod.volumes || [];
check("every volume mount has its volume, every volume is mounted",
  mounts.every((m) => vols.some((v) => v.name === m.name)) && vols.every((v) => mounts.some((m) => m.name === v.name)));
const r = c.resources || {};
check("a Guaranteed pod (requests equal limits): its cgroup is outside the burstable and besteffort slices",
  ["cpu", "memory"].every((k) => r.requests?.[k] && r.requests[k] === r.limits?.[k]));
const ann = ds.spec.template.metadata.annotations || {};
const port = (c.ports || []).find((p) => p.name === "metrics");
check("Prometheus scrape annotations name the metrics port",
  ann["prometheus.io/scrape"] === "true" && port && ann["prometheus.io/port"] === String(port.containerPort));
check("least RBAC: the pod's ServiceAccount has no role and mounts no token (it calls nothing yet)",
  pod.serviceAccountName === sa.metadata.name && sa.automountServiceAccountToken === false &&
  pod.automountServiceAccountToken !== true &&
  !docs.some(({ d }) => /Role(Binding)?$/.test(d.kind)));
const cfgMount = mount("/etc/livegrant");
check("the config comes from the ConfigMap, read-only",
  cfgMount?.readOnly === true && volume(cfgMount)?.configMap?.name === cm.metadata.name);
const cfg = yaml.load(cm.data["livegrant.yaml"]);
check("the ConfigMap's config names bundles it carries, and metrics on the scraped port",
  Object.values(cfg.domains).every((d) => d.trust_bundle.startsWith("/etc/livegrant/") &&
    d.trust_bundle.slice("/etc/livegrant/".length) in cm.data) &&
  cfg.metrics_listen.endsWith(`:${port?.containerPort}`) && cfg.state_dir === "/run/livegrant");
check("no kubepods cgroup among the agent roots (every pod of the node would be an agent)",
  cfg.agent_cgroups.every((p) => !p.includes("kubepods")));
// livegrantd's own parser on the ConfigMap's config and bundles (argv[3]:
// the binary), the bundles where the pod mounts them, here in a scratch dir.
const tmp = mkdtempSync(join(tmpdir(), "livegrant-configmap-"));
for (const [k, v] of Object.entries(cm.data)) if (k !== "livegrant.yaml") writeFileSync(join(tmp, k), v);
writeFileSync(join(tmp, "livegrant.yaml"), cm.data["livegrant.yaml"].replaceAll("/etc/livegrant/", `${tmp}/`));
try {
  execFileSync(process.argv[3], ["--config", join(tmp, "livegrant.yaml"), "--check-config"], { stdio: "pipe" });
  check("livegrantd --check-config accepts the ConfigMap's livegrant.yaml and its bundles", true);
} catch (e) {
  check("livegrantd --check-config accepts the ConfigMap's livegrant.yaml and its bundles", false, String(e.stderr));
} finally {
  rmSync(tmp, { recursive: true });
}
console.log(`deploy: ${pass} passed, ${fail} failed`);
process.exit(fail ? 1 : 0);
