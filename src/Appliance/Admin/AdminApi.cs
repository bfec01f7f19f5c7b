using Outpost.Appliance.Accounts;
using Outpost.Appliance.Audit;
using Outpost.Appliance.Http;
using Outpost.Appliance.Notifications;
using Outpost.Appliance.Vulnerabilities;
using Outpost.Appliance.Web;

namespace Outpost.Appliance.Admin;

/// <summary>
/// The admin API (docs/users-and-audit.md): one route group under <c>/api</c>, for the web UI and automation. The group
/// requires a signed-in user (viewer or above) and the CSRF check; each feature maps its routes onto it in subgroups
/// that declare the role their routes need (reads stay at viewer).
/// </summary>
public static class AdminApi
{
    public static RouteGroupBuilder MapAdminApi(this IEndpointRouteBuilder routes)
    {
        var api = routes.MapGroup("/api").RequireAuthorization(AuthPolicies.Viewer).AddEndpointFilter(Csrf.Filter);
        api.MapScannerAdmin();
        api.MapScanAdmin();
        api.MapInventoryAdmin();
        api.MapCapabilityResultsAdmin();
        api.MapJobAdmin();
        api.MapScheduleAdmin();
        api.MapSchedulerAdmin();
        api.MapSettingsAdmin();
        api.MapAlarmAdmin();
        api.MapApplianceAdmin();
        api.MapUsersApi();
        api.MapAccountApi();
        api.MapAuditApi();
        api.MapVulnerabilityApi();
        api.MapNotificationApi();
        return api;
    }
}
