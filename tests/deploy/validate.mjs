// tests/deploy/validate.mjs - deploy/kubernetes and deploy/container,
// offline: every manifest the kustomization lists is valid against the
// Kubernetes OpenAPI schemas (kubernetes-models), every file is listed, the
// DaemonSet, its RBAC and its token have the shape docs/deployment.md
// promises, and the image the Containerfile would build (it is not built
// here: no container engine) installs the package of every shared library
// the binaries load and puts them where the DaemonSet runs them. Prints one
// line per check and a summary; exits 1 on any failure. Run by
// tests/deploy.sh:
//   node validate.mjs KUSTOMIZE_DIR LIVEGRANTD LIVEGRANT CONTAINERFILE INSTALL_DEPS
import { existsSync, mkdtempSync, readFileSync, readdirSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import yaml from "js-yaml";
import { ConfigMap, Namespace, ServiceAccount } from "kubernetes-models/v1";
import { DaemonSet } from "kubernetes-models/apps/v1";
import { ClusterRole, ClusterRoleBinding } from "kubernetes-models/rbac.authorization.k8s.io/v1";

const [dir, livegrantd, livegrant, containerfile, installDeps] = process.argv.slice(2);
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
const [role, ...moreRoles] = of("ClusterRole"), [binding, ...moreBindings] = of("ClusterRoleBinding");
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
check("the pod runs as the ServiceAccount, and neither mounts a token automatically",
  pod.serviceAccountName === sa.metadata.name && sa.automountServiceAccountToken === false &&
  pod.automountServiceAccountToken === false);
// The kubelet authorizes GET /pods as get on nodes/proxy: that, and nothing
// else (no Role, no second ClusterRole, no resourceNames or URLs).
const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);
check("least RBAC: one ClusterRole, whose rules are exactly get on nodes/proxy (the kubelet's /pods)",
  role && !moreRoles.length && !of("Role").length && !of("RoleBinding").length &&
  same(role.rules, [{ apiGroups: [""], resources: ["nodes/proxy"], verbs: ["get"] }]),
  `rules: ${JSON.stringify(role?.rules)}`);
check("one ClusterRoleBinding, of that ClusterRole to the pod's ServiceAccount only",
  binding && !moreBindings.length &&
  same(binding.roleRef, { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: role?.metadata.name }) &&
  same(binding.subjects, [{ kind: "ServiceAccount", name: sa.metadata.name, namespace: kust.namespace }]),
  `roleRef ${JSON.stringify(binding?.roleRef)}, subjects ${JSON.stringify(binding?.subjects)}`);
const SA_DIR = "/var/run/secrets/kubernetes.io/serviceaccount";
const tokMount = mount(SA_DIR), tokVol = volume(tokMount);
const srcs = tokVol?.projected?.sources || [];
const tokSrc = srcs.find((x) => x.serviceAccountToken)?.serviceAccountToken;
const caSrc = srcs.find((x) => x.configMap)?.configMap;
check(`a projected token mounted read-only at ${SA_DIR}, mode 0400: an hour's bound token and the cluster CA, nothing else`,
  tokMount?.readOnly === true && srcs.length === 2 && tokVol.projected.defaultMode === 0o400 &&
  tokSrc?.path === "token" && tokSrc.expirationSeconds === 3600 && !tokSrc.audience &&
  caSrc?.name === "kube-root-ca.crt" && same(caSrc.items, [{ key: "ca.crt", path: "ca.crt" }]),
  JSON.stringify(tokVol));
const env = (name) => (c.env || []).find((e) => e.name === name)?.valueFrom?.fieldRef?.fieldPath;
check("NODE_NAME (spec.nodeName) and NODE_IP (status.hostIP) from the downward API",
  env("NODE_NAME") === "spec.nodeName" && env("NODE_IP") === "status.hostIP");
const cfgMount = mount("/etc/livegrant");
check("the config comes from the ConfigMap, read-only",
  cfgMount?.readOnly === true && volume(cfgMount)?.configMap?.name === cm.metadata.name);
const cfg = yaml.load(cm.data["livegrant.yaml"]);
check("the ConfigMap's config names bundles it carries, and metrics on the scraped port",
  Object.values(cfg.domains).every((d) => d.trust_bundle.startsWith("/etc/livegrant/") &&
    d.trust_bundle.slice("/etc/livegrant/".length) in cm.data) &&
  cfg.metrics_listen.endsWith(`:${port?.containerPort}`) && cfg.state_dir === "/run/livegrant");
check("no kubepods cgroup among the agent roots (every pod of the node would be an agent)",
  (cfg.agent_cgroups || []).every((p) => !p.includes("kubepods")));
const kube = cfg.kubernetes || {};
const system = ["kube-system", "kube-public", "kube-node-lease", kust.namespace];
check("the kubernetes: section selects agent pods by namespace and label, never a system namespace or livegrant's own",
  kube.namespaces?.length > 0 && kube.namespaces.every((n) => !system.includes(n)) &&
  Object.keys(kube.labels || {}).length > 0, JSON.stringify(kube));
const url = kube.kubelet_url || "https://127.0.0.1:10250";
const vars = [...url.matchAll(/\$\{(\w+)\}/g)].map((m) => m[1]);
check("kubelet_url is the kubelet's https port, and each ${VAR} in it is set in the container",
  /^https:\/\/[^/]+:10250$/.test(url) && vars.every((v) => env(v)), `${url}; env ${JSON.stringify(c.env)}`);
check("token_file and ca_file are the projected token and CA",
  (kube.token_file || `${SA_DIR}/token`) === `${tokMount?.mountPath}/${tokSrc?.path}` &&
  (kube.ca_file || `${SA_DIR}/ca.crt`) === `${tokMount?.mountPath}/${caSrc?.items?.[0]?.path}`);
// livegrantd's own parser on the ConfigMap's config and bundles (LIVEGRANTD:
// the binary), the bundles where the pod mounts them, here in a scratch dir.
const tmp = mkdtempSync(join(tmpdir(), "livegrant-configmap-"));
for (const [k, v] of Object.entries(cm.data)) if (k !== "livegrant.yaml") writeFileSync(join(tmp, k), v);
writeFileSync(join(tmp, "livegrant.yaml"), cm.data["livegrant.yaml"].replaceAll("/etc/livegrant/", `${tmp}/`));
try {
  execFileSync(livegrantd, ["--config", join(tmp, "livegrant.yaml"), "--check-config"], { stdio: "pipe" });
  check("livegrantd --check-config accepts the ConfigMap's livegrant.yaml and its bundles", true);
} catch (e) {
  check("livegrantd --check-config accepts the ConfigMap's livegrant.yaml and its bundles", false, String(e.stderr || e.message));
} finally {
  rmSync(tmp, { recursive: true });
}

// ---- the image (deploy/container/Containerfile) -----------------------------
// Its instructions, comment lines dropped and continuation lines joined, in
// stages (FROM ... AS name); the last stage is the image.
const instrs = readFileSync(containerfile, "utf8").split("\n")
  .filter((l) => !/^\s*#/.test(l)).join("\n").replace(/\\\n/g, " ")
  .split("\n").map((l) => l.trim()).filter(Boolean);
const stages = [];
for (const l of instrs) {
  const [op, ...rest] = l.split(/\s+/);
  if (op.toUpperCase() === "FROM")
    stages.push({ from: rest[0], name: /^as$/i.test(rest[1] || "") ? rest[2] : undefined, instrs: [] });
  else if (stages.length) stages[stages.length - 1].instrs.push({ op: op.toUpperCase(), arg: l.slice(op.length).trim() });
}
const [buildStage] = stages, runtime = stages[stages.length - 1];
// The packages of every apt-get install in a stage's RUN instructions.
const aptInstalls = (st) => st.instrs.filter((i) => i.op === "RUN")
  .flatMap((i) => i.arg.split(/&&|;|\|\|/))
  .map((cmd) => cmd.trim().split(/\s+/).filter((w) => !/^\w+=/.test(w)))
  .filter((w) => w[0] === "apt-get" && w.includes("install"))
  .map((w) => ({ opts: w.filter((x) => x.startsWith("-")), pkgs: w.slice(w.indexOf("install") + 1).filter((x) => !x.startsWith("-")) }));
check("the Containerfile builds on debian:bookworm and runs on debian:bookworm-slim, two stages",
  stages.length === 2 && /(^|\/)debian:bookworm$/.test(buildStage.from) && /(^|\/)debian:bookworm-slim$/.test(runtime.from) &&
  buildStage.name, stages.map((st) => st.from).join(", "));
const buildPkgs = (readFileSync(installDeps, "utf8").match(/^BUILD_PKGS="([^"]*)"/m)?.[1] || "").split(/\s+/).filter(Boolean);
const built = aptInstalls(buildStage).flatMap((a) => a.pkgs);
const missingBuild = buildPkgs.filter((p) => !built.includes(p));
check("the build stage installs every package of tools/install-deps' BUILD_PKGS",
  buildPkgs.length > 0 && !missingBuild.length, `missing: ${missingBuild.join(" ")}`);
const rt = aptInstalls(runtime), rtPkgs = rt.flatMap((a) => a.pkgs);
const rtRuns = runtime.instrs.filter((i) => i.op === "RUN").map((i) => i.arg);
check("the runtime stage installs with --no-install-recommends and removes apt's lists",
  rt.length > 0 && rt.every((a) => a.opts.includes("--no-install-recommends")) &&
  rtRuns.filter((r) => r.includes("apt-get")).every((r) => /rm -rf \/var\/lib\/apt\/lists/.test(r)));

// Where the image has the binaries: COPY --from=<build stage> SRC DST.
const copies = runtime.instrs.filter((i) => i.op === "COPY" && i.arg.startsWith(`--from=${buildStage.name} `))
  .map((i) => i.arg.split(/\s+/).slice(1)).filter((a) => a.length === 2);
const dst = (src) => copies.find(([s]) => s === src)?.[1];
// Where `make install` in the build stage puts them: its own commands (make -n).
const inst = buildStage.instrs.filter((i) => i.op === "RUN").map((i) => i.arg.match(/make install ([^&;]*)/)?.[1])
  .find(Boolean)?.trim().split(/\s+/) || [];
let installed = {};
try {
  const out = execFileSync("make", ["-s", "-n", "install", ...inst], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  for (const m of out.matchAll(/^install -m \d+ \S*\/(livegrantd|livegrant) (\S+)$/gm)) installed[m[1]] = m[2];
} catch (e) {
  installed = {};
}
check(`the image takes the binaries from where make install ${inst.join(" ")} puts them`,
  installed.livegrantd && installed.livegrant &&
  copies.some(([s]) => s === installed.livegrantd) && copies.some(([s]) => s === installed.livegrant),
  `make install: ${JSON.stringify(installed)}; COPY --from: ${JSON.stringify(copies)}`);
const inImage = (path) => copies.some(([, d]) => d === path);
const probeCmds = [c.startupProbe, c.readinessProbe, c.livenessProbe].map((p) => p?.exec?.command?.[0]);
check("the DaemonSet's command and probes run paths the image has (/usr/sbin/livegrantd, /usr/bin/livegrant)",
  c.command?.[0] === "/usr/sbin/livegrantd" && inImage(c.command[0]) && dst(installed.livegrantd) === "/usr/sbin/livegrantd" &&
  probeCmds.every((p) => p === "/usr/bin/livegrant" && inImage(p)) && dst(installed.livegrant) === "/usr/bin/livegrant",
  `command ${c.command?.[0]}, probes ${probeCmds}; COPY --from: ${JSON.stringify(copies)}`);
const entry = runtime.instrs.filter((i) => i.op === "ENTRYPOINT").map((i) => i.arg).pop();
let entryArgv;
try { entryArgv = JSON.parse(entry); } catch { entryArgv = undefined; }
check("the image's ENTRYPOINT is the DaemonSet's command (livegrantd --config /etc/livegrant/livegrant.yaml)",
  same(entryArgv, c.command) && same(entryArgv, ["/usr/sbin/livegrantd", "--config", "/etc/livegrant/livegrant.yaml"]),
  `ENTRYPOINT ${entry}`);

// Every shared library the binaries load (ldd) comes from a Debian package
// the runtime stage installs, or one those depend on (apt installs those
// too); libc6 is in the base image. This host's packages stand for the
// image's: it must be the image's release.
const osRelease = existsSync("/etc/os-release") ? readFileSync("/etc/os-release", "utf8") : "";
const codename = osRelease.match(/^VERSION_CODENAME=(\S+)/m)?.[1];
check("this host is Debian bookworm, the image's release (its packages stand for the image's)",
  /^ID=debian$/m.test(osRelease) && codename === "bookworm", `VERSION_CODENAME=${codename}`);
const sh = (cmd, args) => {
  try {
    return execFileSync(cmd, args, { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
  } catch {
    return null;
  }
};
const pkgOfCache = new Map();
function pkgOf(path) {
  if (pkgOfCache.has(path)) return pkgOfCache.get(path);
  // dpkg knows a file by the path its package ships: /lib or /usr/lib (merged /usr).
  const alias = (p) => (p.startsWith("/usr/") ? p.slice(4) : `/usr${p}`);
  let real = path;
  try { real = realpathSync(path); } catch { /* keep path */ }
  let pkg = null;
  for (const p of [path, alias(path), real, alias(real)]) {
    const out = sh("dpkg-query", ["-S", p]);
    const line = out?.split("\n").find((l) => !l.startsWith("diversion "));
    if (line) {
      pkg = line.slice(0, line.lastIndexOf(": ")).split(", ")[0].replace(/:[a-z0-9]+$/, "");
      break;
    }
  }
  pkgOfCache.set(path, pkg);
  return pkg;
}
// The runtime packages and, recursively, their Depends and Pre-Depends.
const closure = new Set();
const todo = [...rtPkgs];
while (todo.length) {
  const p = todo.pop();
  if (closure.has(p)) continue;
  closure.add(p);
  const deps = sh("dpkg-query", ["-W", "-f", "${Depends}, ${Pre-Depends}", p]) || "";
  for (const alt of deps.split(","))
    for (const d of alt.split("|")) {
      const name = d.trim().split(/[\s(]/)[0].replace(/:\w+$/, "");
      if (name) todo.push(name);
    }
}
const loaded = new Set();
let lddDone = 0;
for (const bin of [livegrantd, livegrant]) {
  if (!bin || !existsSync(bin)) {
    check(`${bin} exists (make ${bin})`, false, "the image's libraries cannot be checked without it");
    continue;
  }
  const out = sh("ldd", [bin]);
  if (out === null) {
    check(`ldd ${bin}`, false, "ldd failed: not a dynamic executable?");
    continue;
  }
  let libs = 0, bad = 0;
  for (const l of out.split("\n").map((x) => x.trim()).filter(Boolean)) {
    const m = l.match(/^(\S+)(?: => (\S+))?/);
    const name = m[1], path = m[2] || (name.startsWith("/") ? name : null);
    if (m[2] === "not" || l.includes("not found")) {
      bad++;
      check(`${bin} loads ${name}: not found on this host`, false);
      continue;
    }
    if (!path) continue; // linux-vdso.so.1: the kernel's
    libs++;
    const pkg = pkgOf(path);
    if (pkg) loaded.add(pkg);
    if (!pkg) {
      bad++;
      check(`${bin} loads ${name} (${path}), which no Debian package ships`, false);
    } else if (pkg !== "libc6" && !closure.has(pkg)) {
      bad++;
      check(`${bin} loads ${name} from package ${pkg}, which the Containerfile's runtime stage does not install`, false);
    }
  }
  if (!bad)
    check(`${bin}: the image has the package of each of the ${libs} libraries it loads (ldd, dpkg -S)`, libs > 0);
  lddDone++;
}
// And nothing more: each package it names ships a library a binary loads,
// or data a binary reads (each with its reason).
const dataPkgs = {
  "ca-certificates": "the system's CA store, for trust bundles fetched from issuers with public certificates",
};
check("the runtime stage installs ca-certificates (fetched trust bundles)", rtPkgs.includes("ca-certificates"));
if (lddDone === 2) {
  const extra = rtPkgs.filter((p) => !loaded.has(p) && !(p in dataPkgs));
  check("the runtime stage installs no package whose libraries neither binary loads", rtPkgs.length > 0 && !extra.length,
    `not loaded: ${extra.join(" ")}`);
}

console.log(`deploy: ${pass} passed, ${fail} failed`);
process.exit(fail ? 1 : 0);
