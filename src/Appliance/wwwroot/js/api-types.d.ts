// Generated from the OpenAPI document the daemon serves (/openapi/v1.json) by tests/Ui.Tests/ApiTypesTests.cs.
// Do not edit: change the contracts in src/Appliance/Contracts, then regenerate with
//   OUTPOST_WRITE_API_TYPES=1 dotnet test tests/Ui.Tests --filter ApiTypesTests

/** An open alarm. Identity is (Kind, Subject): raising it again refreshes it, clearing removes it. */
export type Alarm = {
  kind: string;
  subject: string;
  message: string;
  raisedAt: string;
};

/** An alarm kind: its code (as alarms carry it), the label people read, and its severity. */
export type AlarmKind = {
  kind: string;
  label: string;
  severity: string;
};

/** Every alarm kind the appliance can raise, with its label (GET /api/alarms/kinds). */
export type AlarmKindListResponse = {
  kinds: AlarmKind[];
};

export type AlarmListResponse = {
  alarms: Alarm[];
};

/** Facts about the appliance for the Settings page. */
export type ApplianceResponse = {
  version: string;
  tlsFingerprint: null | string;
};

/**
 * `GET /api/assets/{ip}`: the asset, its services, the scans that saw it, its timeline (newest first) and its
 * vulnerabilities (most severe first, every status, at most `AssetVulnerabilityLimit`).
 */
export type AssetDetailResponse = {
  asset: AssetResponse;
  services: InventoryServiceResponse[];
  seenByScans: number[];
  history: AssetEventResponse[];
  vulnerabilities: VulnerabilityResponse[];
};

/** One event of an asset's timeline: asset-new, asset-gone, service-new, service-gone or service-changed (port 0 for the asset's own). */
export type AssetEventResponse = {
  at: string;
  scanId: number;
  kind: string;
  port: number;
  proto: string;
  detail: null | string;
};

/** One page of the asset search, in address order; `NextCursor` fetches the next page, null after the last. */
export type AssetListResponse = {
  assets: AssetResponse[];
  nextCursor: null | string;
};

/**
 * An asset (one address) as the inventory lists it (docs/inventory.md): `Hostnames` are every name known for it
 * (certificate SANs, crawled URLs, reverse DNS), `DnsNames` those of them that reverse DNS gave.
 */
export type AssetResponse = {
  ip: string;
  hostnames: string[];
  firstSeen: string;
  lastSeen: string;
  firstScanId: number;
  lastScanId: number;
  services: number;
  dnsNames: string[];
};

/**
 * A scan action on assets (docs/assets-page.md): `comprehensive`, `portscan`, `webscan` or `webcrawl`
 * over the addresses; ports default by action, scanners to the built-in one.
 */
export type AssetScanRequest = {
  ips?: null | string[];
  action?: null | string;
  /** Ports and ranges ("22,80,1000-2000"), or the name of a port list from the scan settings. */
  ports?: null | string;
  scannerIds?: null | number[];
};

/**
 * One audit entry. string AuditEntryResponse.Outcome is `ok` (2xx/3xx), `refused` (401, 403, 429) or `failed` (any
 * other status); int AuditEntryResponse.Status is the HTTP status itself.
 */
export type AuditEntryResponse = {
  id: number;
  at: string;
  user: null | string;
  role: null | string;
  sourceIp: null | string;
  action: string;
  target: null | string;
  status: number;
  outcome: string;
};

export type AuditListResponse = {
  entries: AuditEntryResponse[];
  nextCursor: null | string;
};

/** One capability of a scanner: the job name it runs and its version ("" when not reported). */
export type CapabilityResponse = {
  name: string;
  version: string;
};

/** A service's TLS certificate, as the fingerprint saw it. */
export type CertificateResponse = {
  subject: null | string;
  sha256: null | string;
  notAfter: null | string;
};

/** How many assets and services a run's change summary lists. */
export type ChangeCountsResponse = {
  newAssets: number;
  goneAssets: number;
  newServices: number;
  goneServices: number;
  changedServices: number;
};

/** A service that changed: what this run saw, and what the previous run saw. */
export type ChangedServiceResponse = {
  service: ServiceFactsResponse;
  previous: ServiceFactsResponse;
};

/** `GET /api/scans/{id}/changes`: the scan against the previous run over the same targets (null for a first run). */
export type ChangesResponse = {
  scanId: number;
  previousScanId: null | number;
  newAssets: string[];
  goneAssets: string[];
  newServices: ServiceFactsResponse[];
  goneServices: ServiceFactsResponse[];
  changedServices: ChangedServiceResponse[];
};

export type ClaimResponse = {
  jobs: ScannerJob[];
};

export type CompleteRequest = {
  /** "completed" or "failed". */
  status: string;
  resultCount?: null | number;
  errorMessage?: null | string;
};

/** One page of a crawl: where it was, what answered and what forms it holds. */
export type CrawledPage = {
  url: string;
  /** Links followed from the start page to reach it (the start page is 0). */
  depth: number;
  /** The HTTP status; 0 when the request failed (then string? CrawledPage.Error says why). */
  status: number;
  title?: null | string;
  contentType?: null | string;
  forms?: PageForm[];
  error?: null | string;
  /** The address of the service the finding is about. */
  ip: string;
  port: number;
};

export type CreateScanRequest = {
  name: string;
  targets: string[];
  /** Ports and ranges ("22,80,1000-2000"), or the name of a port list from the scan settings. */
  ports: string;
  /** Scanners the scan's jobs are assigned to; with IReadOnlyList&lt;string&gt;? CreateScanRequest.Pools, at least one of the two names something. */
  scannerIds?: null | number[];
  /** Pools whose online members claim the scan's jobs (docs/admin-api.md, "Pools"). */
  pools?: null | string[];
  maxProbesPerSecond?: null | number;
  schedule?: null | ScheduleRequest;
  /**
   * The capability (job name) the scan runs: `portscan` (default), `fingerprint`, `screenshot`,
   * `crawler` or `vulnscan` (docs/capabilities.md). The others visit each address of the targets on each of the ports.
   */
  capability?: null | string;
};

export type CreateScannerRequest = {
  name: string;
  allowedCidrs?: null | string[];
  maxProbesPerSecond?: null | number;
  /** The pool (a site name such as "dc-frankfurt") the scanner joins; none when absent. */
  pool?: null | string;
};

export type CreateTokenRequest = {
  name: string;
};

export type CreateUserRequest = {
  username: string;
  role: string;
  password: string;
};

/** The one reply that holds the token itself. */
export type CreatedTokenResponse = {
  id: number;
  name: string;
  token: string;
};

export type ErrorBody = {
  code: string;
  message: string;
};

/** Every error reply of every surface: `{"error":{"code","message"}}`. */
export type ErrorResponse = {
  error: ErrorBody;
};

/**
 * One do-not-scan entry: string Exclusion.Target is an address, CIDR block or range (every port) or an address with a
 * port (`10.0.0.5:22`); string? Exclusion.Pool null for every scanner, else only for the scanners of that pool
 * (see bool DoNotScan.AppliesTo(Exclusion exclusion, string? scannerName, string? pool)).
 */
export type Exclusion = {
  target: string;
  pool: null | string;
};

/** A group of failed jobs whose error messages are alike (numbers, addresses and ids masked). */
export type FailedReason = {
  reason: string;
  count: number;
};

export type FindingResponse = {
  ip: string;
  port: number;
  proto: string;
  state: string;
  ttl: null | number;
  jobId: number;
  seenAt: string;
};

export type HeartbeatRequest = {
  version?: null | string;
  runningJobs?: null | number[];
  /** The job names the scanner can run (docs/capabilities.md); absent: leave what it said before. */
  capabilities?: null | string[];
  /** The version of each capability, by job name. */
  capabilityVersions?: null | Record<string, string>;
};

export type HeartbeatResponse = {
  ok: boolean;
  serverTime: string;
  stopJobs: number[];
};

/** The first HTTP response to a GET of "/". */
export type HttpFacts = {
  status: number;
  /** Text of the first &lt;title&gt; element, whitespace collapsed. */
  title?: null | string;
  /** The Server header. */
  server?: null | string;
  /** The Location header of a redirect. */
  location?: null | string;
};

/**
 * A service as the inventory holds it: the latest facts, the screenshot (a URL under the scan that took it), when it
 * was first and last seen, and `goneScanId`: the run that no longer saw it (null while it is there).
 */
export type InventoryServiceResponse = {
  ip: string;
  port: number;
  proto: string;
  service: null | string;
  product: null | string;
  version: null | string;
  certificate: null | CertificateResponse;
  httpTitle: null | string;
  screenshot: null | string;
  firstSeen: string;
  lastSeen: string;
  firstScanId: number;
  lastScanId: number;
  goneScanId: null | number;
};

export type JobCountsResponse = {
  queued: number;
  claimed: number;
  running: number;
  completed: number;
  failed: number;
  cancelled: number;
};

export type JobListResponse = {
  jobs: JobResponse[];
  counts: StatusCounts;
  failedReasons: FailedReason[];
  nextCursor: null | string;
};

export type JobResponse = {
  jobId: number;
  scanId: number;
  scannerId: number;
  scannerName: null | string;
  name: string;
  targets: JobTarget[];
  status: string;
  attempts: number;
  progressCount: number;
  resultCount: number;
  sourceIp: null | string;
  errorMessage: null | string;
  rerunOf: null | number;
  automated: boolean;
  stopRequested: boolean;
  createdAt: string;
  claimedAt: null | string;
  startedAt: null | string;
  finishedAt: null | string;
  maxProbesPerSecond: number;
  /** The pool whose members may claim the job, or null; long JobResponse.ScannerId is 0 until a member claims it. */
  pool?: null | string;
};

/** One target block of a job: an address block (CIDR, single IP or range) and the port list to probe on it. */
export type JobTarget = {
  cidr: string;
  ports: string;
};

export type JsonElement = any;

/** Sign-in: string? LoginRequest.Username and string? LoginRequest.Password (plus string? LoginRequest.Code once TOTP is on), or the admin string? LoginRequest.Secret. */
export type LoginRequest = {
  username?: null | string;
  password?: null | string;
  code?: null | string;
  secret?: null | string;
};

export type NotificationDeliveryListResponse = {
  deliveries: NotificationDeliveryResponse[];
  nextCursor: null | string;
};

/** One delivery to one target: pending, delivered or failed, after how many attempts, and the last error. */
export type NotificationDeliveryResponse = {
  id: number;
  event: string;
  channel: string;
  target: string;
  status: string;
  attempts: number;
  lastError: null | string;
  createdAt: string;
  updatedAt: string;
};

/**
 * Where notifications go and which events are sent. string NotificationSettings.MinimumSeverity filters new vulnerabilities;
 * the three switches turn the inventory and certificate events on or off. As read (GET), webhook secrets are never
 * shown: bool WebhookSettings.HasSecret says whether one is set.
 */
export type NotificationSettings = {
  minimumSeverity?: string;
  newAssets?: boolean;
  newServices?: boolean;
  certificateExpiry?: boolean;
  webhooks?: WebhookSettings[];
  syslog?: SyslogSettings[];
};

/** How many deliveries a "send test" queued (one per configured target). */
export type NotificationTestResponse = {
  queued: number;
};

/** `{"ok":true}`, with `"stop":true` only when the scanner must stop the job. */
export type OkResponse = {
  ok: boolean;
  stop?: null | boolean;
  /** Progress replies only: the do-not-scan list that binds the scanner now, to replace the job's. */
  exclude?: null | string[];
};

/** A form on a crawled page: where it posts, how, and the names of its inputs. */
export type PageForm = {
  action: string;
  method: string;
  inputs: string[];
};

export type PageResponse = {
  url: string;
  ip: string;
  port: number;
  depth: number;
  status: number;
  title: null | string;
  contentType: null | string;
  forms: PageForm[];
  error: null | string;
  jobId: number;
  seenAt: string;
};

/**
 * PATCH body. JsonElement PatchScannerRequest.MaxProbesPerSecond and JsonElement PatchScannerRequest.Pool stay raw elements so that an absent field
 * (leave as is) and an explicit `null` (remove the limit, leave the pool) can be told apart.
 */
export type PatchScannerRequest = {
  name?: null | string;
  enabled?: null | boolean;
  allowedCidrs?: null | string[];
  maxProbesPerSecond?: JsonElement;
  pool?: JsonElement;
};

/** Each field present changes that field; bool? PatchUserRequest.ResetTotp turns the user's second factor off (lost phone). */
export type PatchUserRequest = {
  role?: null | string;
  password?: null | string;
  disabled?: null | boolean;
  resetTotp?: null | boolean;
};

/**
 * An operator's change: string? PatchVulnerabilityRequest.Status `accepted` (with a note saying why) or `open` (take the
 * acceptance back); string? PatchVulnerabilityRequest.Note alone edits the note. Absent fields stay as they are.
 */
export type PatchVulnerabilityRequest = {
  status?: null | string;
  note?: null | string;
};

export type PoolListResponse = {
  pools: PoolResponse[];
};

export type PoolMemberResponse = {
  id: number;
  name: string;
  enabled: boolean;
  online: boolean;
};

/** A pool: its members and how many of them are online (enabled and heartbeating) now. */
export type PoolResponse = {
  name: string;
  members: PoolMemberResponse[];
  online: number;
};

/** A named port list; a scan naming it (or listing exactly its ports) gets its rate limit. */
export type PortListSetting = {
  name: string;
  ports: string;
  maxProbesPerSecond: null | number;
};

/** A scan's processing: `processed` of `total` results (open ports and identified services) folded into the inventory. */
export type ProcessingResponse = {
  processed: number;
  total: number;
};

export type ProgressRequest = {
  progressCount: number;
  resultCount: number;
  /** The permutation index below which every probe was sent; absent (older nodes) counts as 0. */
  cursor?: null | number;
};

/** How a recurring scan repeats. */
export type RecurrenceResponse = {
  cron: string;
  timeZone: string;
  nextRunAt: null | string;
};

export type ResultItem = {
  ip: string;
  port: number;
  proto: string;
  state: string;
  ttl?: null | number;
};

/**
 * One upload of findings, of exactly one kind (docs/capabilities.md): `results` (open ports, the port scan's),
 * `services` (the fingerprint's, in the shape of `outpost-probe fingerprint --json`) or `pages` (the
 * crawler's). Screenshots are binary uploads of their own.
 */
export type ResultsRequest = {
  results?: null | ResultItem[];
  services?: null | ServiceFingerprint[];
  pages?: null | CrawledPage[];
  /** The vulnscan capability's checks per service: what ran there and what fired (docs/vulnscan.md). */
  vulnerabilities?: null | ServiceVulnerabilities[];
};

export type ResultsResponse = {
  ok: boolean;
  accepted: number;
};

export type ScanListResponse = {
  scans: ScanResponse[];
};

/** A scan's crawled pages. */
export type ScanPagesResponse = {
  scanId: number;
  pages: PageResponse[];
};

/**
 * A scan. A recurring scan is listed as a scan in status `scheduled` with RecurrenceResponse? ScanResponse.Recurring set (its
 * DateTimeOffset? ScanResponse.ScheduledAt is the next run); each run is a scan of its own whose long? ScanResponse.ScheduleId names it.
 */
export type ScanResponse = {
  id: number;
  name: string;
  status: string;
  targets: string[];
  ports: string;
  scannerIds: number[];
  maxProbesPerSecond: null | number;
  scheduledAt: null | string;
  automated: boolean;
  createdAt: string;
  startedAt: null | string;
  finishedAt: null | string;
  jobCounts: JobCountsResponse;
  progressCount: number;
  resultCount: number;
  addressCount: number;
  scheduleId: null | number;
  recurring: null | RecurrenceResponse;
  /** The capability (job name) the scan's jobs run. */
  capability?: string;
  /** The Assets page action that started the scan or its chain (docs/assets-page.md); null for other scans. */
  action?: null | string;
  /** The scan whose processed results this automated follow-up acts on; null for other scans. */
  followUpOf?: null | number;
  /** The pools the scan targets next to IReadOnlyList&lt;long&gt; ScanResponse.ScannerIds. */
  pools?: string[];
  processing?: null | ProcessingResponse;
};

/** One page of a scan's findings in (ip, port, proto) order; `NextCursor` fetches the next page, null after the last. */
export type ScanResultsResponse = {
  scanId: number;
  results: FindingResponse[];
  nextCursor: null | string;
};

/** A scan's identified services and screenshots (docs/capabilities.md). */
export type ScanServicesResponse = {
  scanId: number;
  services: ServiceResponse[];
  screenshots: ScreenshotResponse[];
};

/**
 * The scan settings document: the inputs of planning (rates, port lists, the do-not-scan list) and of scheduling (windows, time zone). The
 * admin API serves and accepts it as is (GET/PUT /api/settings/scan), and it is stored as is once validated. Every list is present
 * (possibly empty) in replies. Setters rather than init: the JSON source generator passes init-only members like
 * constructor arguments, so a field left out of a PUT would arrive as null or 0 instead of its default.
 */
export type ScanSettings = {
  /** When automated scans may run; empty means any time. */
  windows?: ScanWindow[];
  subnetLimits?: SubnetLimit[];
  portLists?: PortListSetting[];
  /** Text the scanners announce their probes with, so target owners can tell who is scanning. */
  attributionHeader?: null | string;
  /** The rate a job gets when neither scanner, subnet, port list nor scan sets one. */
  defaultMaxProbesPerSecond?: number;
  /**
   * Connections a connection-based capability (fingerprint, crawler, screenshot) keeps open to one address at once.
   * Jobs carry the value in force when they are claimed.
   */
  maxConnectionsPerHost?: number;
  /** The appliance's time zone (IANA id): scan windows are wall-clock times in it, and recurring scans default to it. */
  timeZone?: string;
  /** The do-not-scan list (docs/admin-api.md, "Do-not-scan list"): global entries and entries of one pool. */
  exclusions?: Exclusion[];
};

/** A weekly window: IReadOnlyList&lt;string&gt;? ScanWindow.Days ("mon" … "sun", empty for every day), from Start to End ("HH:mm"; End before Start spans midnight). */
export type ScanWindow = {
  days: null | string[];
  start: string;
  end: string;
};

/**
 * A job as handed to a scanner by a claim. `MaxConnectionsPerHost` is the scan settings' value when the job is
 * claimed: how many connections a connection-based capability keeps open to one address at once. `seed` selects the
 * probe order (the same for every holder of the job); `resumeFrom` is the permutation index to start at: 0 for a
 * fresh job, the stored cursor for a re-queued one. `exclude` is the do-not-scan list that binds the scanner.
 */
export type ScannerJob = {
  jobId: number;
  scanId: number;
  name: string;
  targets: JobTarget[];
  maxProbesPerSecond: number;
  maxConnectionsPerHost: number;
  seed: number;
  resumeFrom: number;
  exclude: string[];
};

export type ScannerListResponse = {
  scanners: ScannerResponse[];
};

export type ScannerResponse = {
  id: number;
  name: string;
  enabled: boolean;
  allowedCidrs: string[];
  maxProbesPerSecond: null | number;
  online: boolean;
  lastHeartbeatAt: null | string;
  sourceIp: null | string;
  version: null | string;
  createdAt: string;
  /** The plain API key: present only in the replies to create and rotate-key, the one time it is shown. */
  apiKey?: null | string;
  /**
   * What the scanner said in its last heartbeat it can run, with versions (docs/capabilities.md); a scanner that
   * never said is listed with `portscan` alone and bool ScannerResponse.CapabilitiesReported false.
   */
  capabilities?: CapabilityResponse[];
  capabilitiesReported?: boolean;
  /** The scanner's pool, or null. */
  pool?: null | string;
};

export type ScheduleListResponse = {
  schedules: ScheduleResponse[];
};

/**
 * When a scan runs: once at DateTimeOffset? ScheduleRequest.At, or on every match of string? ScheduleRequest.Cron (five fields "minute hour day month
 * weekday", or Quartz's six or seven starting with seconds) in string? ScheduleRequest.TimeZone (IANA id; default: the scan
 * settings' time zone). Neither: now.
 */
export type ScheduleRequest = {
  at?: null | string;
  cron?: null | string;
  timeZone?: null | string;
};

/** A recurring scan with the history of its runs, newest first (GET /api/schedules). */
export type ScheduleResponse = {
  id: number;
  name: string;
  cron: string;
  timeZone: string;
  nextRunAt: null | string;
  createdAt: string;
  runs: ScheduleRunResponse[];
};

/** One due time of a schedule: the scan it started, or why it was skipped. */
export type ScheduleRunResponse = {
  at: string;
  outcome: string;
  scanId: null | number;
  scanStatus: null | string;
  reason: null | string;
  changes?: null | ChangeCountsResponse;
};

export type SchedulerResponse = {
  paused: boolean;
  nextCycleAt: null | string;
};

/** One screenshot's metadata; string ScreenshotResponse.Href serves the PNG. */
export type ScreenshotResponse = {
  ip: string;
  port: number;
  url: string;
  bytes: number;
  jobId: number;
  seenAt: string;
  href: string;
};

/** What a scan saw of a service (the change summary's entries); facts a scan did not gather are null. */
export type ServiceFactsResponse = {
  ip: string;
  port: number;
  proto: string;
  service: null | string;
  product: null | string;
  version: null | string;
  certificate: null | CertificateResponse;
  httpTitle: null | string;
};

/**
 * What answers on one TCP port: the service, and where the rules could tell, its product, version and CPE names;
 * TLS and HTTP facts when the service speaks them. Serialised as one JSON line by FingerprintJson
 * (the shape is documented in docs/fingerprint.md).
 */
export type ServiceFingerprint = {
  /** The address, as text (dotted quad for IPv4). */
  ip: string;
  port: number;
  /** Always "tcp": the fingerprinter connects with TCP sockets. */
  proto?: string;
  /**
   * IANA-style lower-case service name ("ssh", "http", "https", "smtp", "redis", …); "unknown" when the port
   * answered but no rule matched, "tls" when TLS was spoken but what ran inside it was not identified, "tcpwrapped" when it accepted and closed without a word, "closed" or "filtered"
   * when the connection was refused or timed out.
   */
  service: string;
  product?: null | string;
  version?: null | string;
  /** CPE 2.2 URIs the matching rule implies (empty when it implies none; left out of the JSON then). */
  cpe?: string[];
  /** The first bytes an unidentified service sent, non-printable bytes escaped as \xNN. */
  banner?: null | string;
  tls?: null | TlsFacts;
  http?: null | HttpFacts;
};

/** One service: what `outpost-probe fingerprint --json` prints for it, the job that found it and when. */
export type ServiceResponse = {
  service: ServiceFingerprint;
  jobId: number;
  seenAt: string;
};

/**
 * What the `vulnscan` capability learnt about one service (docs/capabilities.md): every check it ran there
 * (so the appliance can tell a vulnerability that is gone from one that was not looked for) and the ones that fired.
 */
export type ServiceVulnerabilities = {
  /** Ids of the checks that ran to a verdict on this service, fired or not. */
  checkIds: string[];
  found: VulnerabilityFinding[];
  /** The address of the service the finding is about. */
  ip: string;
  port: number;
};

/** Who is signed in. bool SessionResponse.MustSetPassword: the built-in admin signed in with the secret and has no password yet. */
export type SessionResponse = {
  authenticated: boolean;
  username: string;
  role: string;
  mustSetPassword: boolean;
  totpEnabled: boolean;
};

/** A user's own password change; string? SetPasswordRequest.CurrentPassword is needed once the user has a password. */
export type SetPasswordRequest = {
  currentPassword?: null | string;
  password: string;
};

/** Counts in the window as the Jobs page shows them: claimed jobs are counted as queued. */
export type StatusCounts = {
  queued: number;
  running: number;
  completed: number;
  failed: number;
  cancelled: number;
};

export type StatusResponse = {
  status: string;
};

/** A rate limit for every job whose targets overlap string SubnetLimit.Cidr (a CIDR, address or range). */
export type SubnetLimit = {
  cidr: string;
  maxProbesPerSecond: number;
};

/** A syslog server: RFC 5424 messages over string SyslogSettings.Transport `udp` or `tcp` (octet-counted frames). */
export type SyslogSettings = {
  host: string;
  port?: number;
  transport?: string;
};

/** The TLS session and the server certificate as the handshake showed them (inspected, never trusted). */
export type TlsFacts = {
  /** Negotiated protocol, e.g. "TLSv1.3". */
  version: string;
  /** Negotiated cipher suite by its IANA name, e.g. "TLS_AES_256_GCM_SHA384". */
  cipher: string;
  /** Subject distinguished name, RFC 2253 order ("CN=host,O=Org"). */
  subject: string;
  /** Issuer distinguished name, RFC 2253 order. */
  issuer: string;
  /** Subject alternative names: DNS names and IP addresses. */
  sans?: string[];
  notBefore: string;
  notAfter: string;
  /** Subject equals issuer and the certificate's signature verifies with its own key. */
  selfSigned: boolean;
  /** "RSA", "EC", "DSA", "Ed25519", … (the public key's algorithm). */
  keyType: string;
  keyBits: number;
  /** SHA-256 of the DER certificate, lower-case hex without separators. */
  sha256: string;
};

export type TokenListResponse = {
  tokens: TokenResponse[];
};

export type TokenResponse = {
  id: number;
  name: string;
  createdAt: string;
};

export type TotpConfirmRequest = {
  code: string;
};

/** A new TOTP secret (base32) and its otpauth URI for an authenticator app; it takes effect once confirmed. */
export type TotpEnrolmentResponse = {
  secret: string;
  uri: string;
};

export type UserListResponse = {
  users: UserResponse[];
};

export type UserResponse = {
  id: number;
  username: string;
  role: string;
  source: string;
  disabled: boolean;
  totpEnabled: boolean;
  hasPassword: boolean;
  createdAt: string;
};

/** Vulnerabilities per severity (under every filter but severity) and per status (under every filter but status); every key is always present. */
export type VulnerabilityCountsResponse = {
  severity: Record<string, number>;
  status: Record<string, number>;
};

/** A check that fired: the catalogue's words for it and what was seen. */
export type VulnerabilityFinding = {
  /** The catalogue id of the check. */
  checkId: string;
  /** The check's title. */
  title: string;
  /** info, low, medium, high or critical. */
  severity: string;
  /** One line per matcher: the field and what it held. */
  evidence: string;
  /** What to do about it, in the catalogue's words. */
  remediation: null | string;
  /** Where to read more. */
  references: string[];
};

/** One page, most severe first, then newest; string? VulnerabilityListResponse.NextCursor fetches the next page, null after the last. */
export type VulnerabilityListResponse = {
  vulnerabilities: VulnerabilityResponse[];
  counts: VulnerabilityCountsResponse;
  nextCursor: null | string;
};

/** One vulnerability: what check found what on which service, when first and last, and where it stands. */
export type VulnerabilityResponse = {
  id: number;
  checkId: string;
  title: string;
  severity: string;
  ip: string;
  port: number;
  evidence: string;
  remediation: null | string;
  references: string[];
  firstSeen: string;
  lastSeen: string;
  status: string;
  note: null | string;
};

/**
 * A webhook: each event is POSTed to string WebhookSettings.Url as JSON, signed with HMAC-SHA256 under string? WebhookSettings.Secret.
 * On PUT, an absent or null secret keeps the one already set for this URL, and `""` removes it.
 */
export type WebhookSettings = {
  url: string;
  secret?: null | string;
  hasSecret?: boolean;
};

/** Every operation of the API, named "METHOD /path" as the OpenAPI document names it. */
export interface Routes {
  'GET /healthz': {
    path: {};
    query: {};
    body: never;
    response: StatusResponse;
  };
  'GET /readyz': {
    path: {};
    query: {};
    body: never;
    response: StatusResponse;
  };
  'GET /metrics': {
    path: {};
    query: {};
    body: never;
    response: unknown;
  };
  'POST /api/store/backup': {
    path: {};
    query: {};
    body: never;
    response: unknown;
  };
  'GET /scanner/jobs': {
    path: {};
    query: {limit?: string | number | boolean | null};
    body: never;
    response: ClaimResponse;
  };
  'POST /scanner/jobs/{jobId}/start': {
    path: {jobId: string | number};
    query: {};
    body: never;
    response: OkResponse;
  };
  'POST /scanner/jobs/{jobId}/progress': {
    path: {jobId: string | number};
    query: {};
    body: ProgressRequest;
    response: OkResponse;
  };
  'POST /scanner/jobs/{jobId}/complete': {
    path: {jobId: string | number};
    query: {};
    body: CompleteRequest;
    response: OkResponse;
  };
  'POST /scanner/jobs/{jobId}/results': {
    path: {jobId: string | number};
    query: {};
    body: ResultsRequest;
    response: ResultsResponse;
  };
  'PUT /scanner/jobs/{jobId}/screenshots': {
    path: {jobId: string | number};
    query: {ip?: string | number | boolean | null; port?: string | number | boolean | null; url?: string | number | boolean | null};
    body: never;
    response: ResultsResponse;
  };
  'POST /scanner/heartbeat': {
    path: {};
    query: {};
    body: null | HeartbeatRequest;
    response: HeartbeatResponse;
  };
  'GET /api/session': {
    path: {};
    query: {};
    body: never;
    response: SessionResponse;
  };
  'POST /api/session': {
    path: {};
    query: {};
    body: LoginRequest;
    response: null;
  };
  'DELETE /api/session': {
    path: {};
    query: {};
    body: never;
    response: null;
  };
  'GET /api/scanners': {
    path: {};
    query: {};
    body: never;
    response: ScannerListResponse;
  };
  'POST /api/scanners': {
    path: {};
    query: {};
    body: CreateScannerRequest;
    response: ScannerResponse;
  };
  'GET /api/scanners/{id}': {
    path: {id: string | number};
    query: {};
    body: never;
    response: ScannerResponse;
  };
  'PATCH /api/scanners/{id}': {
    path: {id: string | number};
    query: {};
    body: PatchScannerRequest;
    response: ScannerResponse;
  };
  'POST /api/scanners/{id}/rotate-key': {
    path: {id: string | number};
    query: {};
    body: never;
    response: ScannerResponse;
  };
  'GET /api/pools': {
    path: {};
    query: {};
    body: never;
    response: PoolListResponse;
  };
  'GET /api/scans': {
    path: {};
    query: {status?: string | number | boolean | null; q?: string | number | boolean | null};
    body: never;
    response: ScanListResponse;
  };
  'POST /api/scans': {
    path: {};
    query: {};
    body: CreateScanRequest;
    response: ScanResponse;
  };
  'GET /api/scans/{id}': {
    path: {id: string | number};
    query: {};
    body: never;
    response: ScanResponse;
  };
  'DELETE /api/scans/{id}': {
    path: {id: string | number};
    query: {};
    body: never;
    response: null;
  };
  'GET /api/scans/{id}/results': {
    path: {id: string | number};
    query: {format?: string | number | boolean | null; cursor?: string | number | boolean | null; limit?: string | number | boolean | null};
    body: never;
    response: ScanResultsResponse;
  };
  'POST /api/scans/{id}/stop': {
    path: {id: string | number};
    query: {};
    body: never;
    response: ScanResponse;
  };
  'GET /api/assets': {
    path: {};
    query: {q?: string | number | boolean | null; port?: string | number | boolean | null; service?: string | number | boolean | null; firstSeenSince?: string | number | boolean | null; certExpiresWithinDays?: string | number | boolean | null; cursor?: string | number | boolean | null; limit?: string | number | boolean | null; format?: string | number | boolean | null};
    body: never;
    response: AssetListResponse;
  };
  'GET /api/assets/services': {
    path: {};
    query: {format?: string | number | boolean | null};
    body: never;
    response: unknown;
  };
  'GET /api/assets/{ip}': {
    path: {ip: string | number};
    query: {};
    body: never;
    response: AssetDetailResponse;
  };
  'GET /api/scans/{id}/changes': {
    path: {id: string | number};
    query: {};
    body: never;
    response: ChangesResponse;
  };
  'GET /api/appliance': {
    path: {};
    query: {};
    body: never;
    response: ApplianceResponse;
  };
  'POST /api/assets/scan': {
    path: {};
    query: {};
    body: AssetScanRequest;
    response: ScanResponse;
  };
  'GET /api/scans/{id}/services': {
    path: {id: string | number};
    query: {};
    body: never;
    response: ScanServicesResponse;
  };
  'GET /api/scans/{id}/pages': {
    path: {id: string | number};
    query: {};
    body: never;
    response: ScanPagesResponse;
  };
  'GET /api/scans/{id}/screenshots/{ip}/{port}': {
    path: {id: string | number; ip: string | number; port: string | number};
    query: {};
    body: never;
    response: unknown;
  };
  'GET /api/jobs': {
    path: {};
    query: {status?: string | number | boolean | null; q?: string | number | boolean | null; since?: string | number | boolean | null; limit?: string | number | boolean | null; cursor?: string | number | boolean | null; reason?: string | number | boolean | null; scanId?: string | number | boolean | null};
    body: never;
    response: JobListResponse;
  };
  'GET /api/jobs/{id}': {
    path: {id: string | number};
    query: {};
    body: never;
    response: JobResponse;
  };
  'POST /api/jobs/{id}/rerun': {
    path: {id: string | number};
    query: {};
    body: never;
    response: JobResponse;
  };
  'GET /api/schedules': {
    path: {};
    query: {};
    body: never;
    response: ScheduleListResponse;
  };
  'GET /api/schedules/{id}': {
    path: {id: string | number};
    query: {};
    body: never;
    response: ScheduleResponse;
  };
  'GET /api/scheduler': {
    path: {};
    query: {};
    body: never;
    response: SchedulerResponse;
  };
  'POST /api/scheduler/pause': {
    path: {};
    query: {};
    body: never;
    response: SchedulerResponse;
  };
  'POST /api/scheduler/resume': {
    path: {};
    query: {};
    body: never;
    response: SchedulerResponse;
  };
  'GET /api/settings/scan': {
    path: {};
    query: {};
    body: never;
    response: ScanSettings;
  };
  'PUT /api/settings/scan': {
    path: {};
    query: {};
    body: ScanSettings;
    response: ScanSettings;
  };
  'GET /api/alarms': {
    path: {};
    query: {};
    body: never;
    response: AlarmListResponse;
  };
  'GET /api/alarms/kinds': {
    path: {};
    query: {};
    body: never;
    response: AlarmKindListResponse;
  };
  'GET /api/users': {
    path: {};
    query: {};
    body: never;
    response: UserListResponse;
  };
  'POST /api/users': {
    path: {};
    query: {};
    body: CreateUserRequest;
    response: UserResponse;
  };
  'GET /api/users/{id}': {
    path: {id: string | number};
    query: {};
    body: never;
    response: UserResponse;
  };
  'DELETE /api/users/{id}': {
    path: {id: string | number};
    query: {};
    body: never;
    response: null;
  };
  'PATCH /api/users/{id}': {
    path: {id: string | number};
    query: {};
    body: PatchUserRequest;
    response: UserResponse;
  };
  'GET /api/tokens': {
    path: {};
    query: {};
    body: never;
    response: TokenListResponse;
  };
  'POST /api/tokens': {
    path: {};
    query: {};
    body: CreateTokenRequest;
    response: CreatedTokenResponse;
  };
  'DELETE /api/tokens/{id}': {
    path: {id: string | number};
    query: {};
    body: never;
    response: null;
  };
  'PUT /api/account/password': {
    path: {};
    query: {};
    body: SetPasswordRequest;
    response: null;
  };
  'POST /api/account/totp': {
    path: {};
    query: {};
    body: never;
    response: TotpEnrolmentResponse;
  };
  'POST /api/account/totp/confirm': {
    path: {};
    query: {};
    body: TotpConfirmRequest;
    response: null;
  };
  'GET /api/audit': {
    path: {};
    query: {q?: string | number | boolean | null; cursor?: string | number | boolean | null; limit?: string | number | boolean | null; format?: string | number | boolean | null};
    body: never;
    response: AuditListResponse;
  };
  'GET /api/vulnerabilities': {
    path: {};
    query: {severity?: string | number | boolean | null; status?: string | number | boolean | null; q?: string | number | boolean | null; checkId?: string | number | boolean | null; cursor?: string | number | boolean | null; limit?: string | number | boolean | null; format?: string | number | boolean | null};
    body: never;
    response: VulnerabilityListResponse;
  };
  'GET /api/vulnerabilities/{id}': {
    path: {id: string | number};
    query: {};
    body: never;
    response: VulnerabilityResponse;
  };
  'PATCH /api/vulnerabilities/{id}': {
    path: {id: string | number};
    query: {};
    body: PatchVulnerabilityRequest;
    response: VulnerabilityResponse;
  };
  'GET /api/settings/notifications': {
    path: {};
    query: {};
    body: never;
    response: NotificationSettings;
  };
  'PUT /api/settings/notifications': {
    path: {};
    query: {};
    body: NotificationSettings;
    response: NotificationSettings;
  };
  'POST /api/settings/notifications/test': {
    path: {};
    query: {};
    body: never;
    response: NotificationTestResponse;
  };
  'GET /api/notifications/deliveries': {
    path: {};
    query: {cursor?: string | number | boolean | null; limit?: string | number | boolean | null};
    body: never;
    response: NotificationDeliveryListResponse;
  };
}
