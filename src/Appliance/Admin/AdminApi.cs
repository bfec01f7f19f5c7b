using Outpost.Appliance.Http;

namespace Outpost.Appliance.Admin;

/// <summary>
/// The admin API (docs/admin-api.md): one route group under <c>/api</c>, for the web UI and automation. The group carries the
/// admin policy (bearer token or session cookie) and the CSRF check; each feature maps its routes onto it.
/// </summary>
public static class AdminApi
{
    public static RouteGroupBuilder MapAdminApi(this IEndpointRouteBuilder routes)
    {
        var api = routes.MapGroup("/api").RequireAuthorization(AuthPolicies.Admin).AddEndpointFilter(Csrf.Filter);
        api.MapScannerAdmin();
        api.MapScanAdmin();
        api.MapCapabilityResultsAdmin();
        api.MapJobAdmin();
        api.MapScheduleAdmin();
        api.MapSchedulerAdmin();
        api.MapSettingsAdmin();
        api.MapAlarmAdmin();
        api.MapApplianceAdmin();
        return api;
    }
}
