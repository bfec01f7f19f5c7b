using System.Text.Json;
using System.Text.Json.Serialization;
using Outpost.Appliance.Planning;
using Outpost.Appliance.Scheduling;

namespace Outpost.Appliance.Contracts;

/// <summary>
/// Source-generated serializers for every wire shape, so the protocol's hot path neither reflects nor warms up.
/// Numbers are strict: <c>"12"</c> where a number belongs is a wrong type (400), not a number.
/// </summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, NumberHandling = JsonNumberHandling.Strict)]
[JsonSerializable(typeof(ClaimResponse))]
[JsonSerializable(typeof(ProgressRequest))]
[JsonSerializable(typeof(CompleteRequest))]
[JsonSerializable(typeof(ResultsRequest))]
[JsonSerializable(typeof(HeartbeatRequest))]
[JsonSerializable(typeof(OkResponse))]
[JsonSerializable(typeof(ResultsResponse))]
[JsonSerializable(typeof(HeartbeatResponse))]
[JsonSerializable(typeof(ErrorResponse))]
[JsonSerializable(typeof(CreateScannerRequest))]
[JsonSerializable(typeof(PatchScannerRequest))]
[JsonSerializable(typeof(ScannerResponse))]
[JsonSerializable(typeof(ScannerListResponse))]
[JsonSerializable(typeof(CreateScanRequest))]
[JsonSerializable(typeof(AssetScanRequest))]
[JsonSerializable(typeof(ScanResponse))]
[JsonSerializable(typeof(ScanListResponse))]
[JsonSerializable(typeof(ScanResultsResponse))]
[JsonSerializable(typeof(FindingResponse))]
[JsonSerializable(typeof(ScanServicesResponse))]
[JsonSerializable(typeof(ScanPagesResponse))]
[JsonSerializable(typeof(JobResponse))]
[JsonSerializable(typeof(JobListResponse))]
[JsonSerializable(typeof(SchedulerResponse))]
[JsonSerializable(typeof(SchedulerState))]
[JsonSerializable(typeof(RecurringSchedule))]
[JsonSerializable(typeof(ScheduleResponse))]
[JsonSerializable(typeof(ScheduleListResponse))]
[JsonSerializable(typeof(AlarmListResponse))]
[JsonSerializable(typeof(AlarmKindListResponse))]
[JsonSerializable(typeof(ApplianceResponse))]
[JsonSerializable(typeof(ScanSettings))]
[JsonSerializable(typeof(LoginRequest))]
[JsonSerializable(typeof(SessionResponse))]
[JsonSerializable(typeof(StatusResponse))]
[JsonSerializable(typeof(List<Outpost.Probe.Capabilities.PageForm>))]
[JsonSerializable(typeof(CreateUserRequest))]
[JsonSerializable(typeof(PatchUserRequest))]
[JsonSerializable(typeof(UserResponse))]
[JsonSerializable(typeof(UserListResponse))]
[JsonSerializable(typeof(CreateTokenRequest))]
[JsonSerializable(typeof(CreatedTokenResponse))]
[JsonSerializable(typeof(TokenListResponse))]
[JsonSerializable(typeof(SetPasswordRequest))]
[JsonSerializable(typeof(TotpEnrolmentResponse))]
[JsonSerializable(typeof(TotpConfirmRequest))]
[JsonSerializable(typeof(AuditListResponse))]
public sealed partial class OutpostJsonContext : JsonSerializerContext;
