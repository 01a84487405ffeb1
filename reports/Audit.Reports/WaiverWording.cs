using System.Globalization;
using Audit.Core.Results;

namespace Audit.Reports;

/// <summary>The sentences about a waiver that more than one output prints, written once.</summary>
public static class WaiverWording
{
    /// <summary>"waived until 2027-01-31 by owner (ticket): justification", or "waived" when the waiver is not known.</summary>
    public static string WaivedUntil(WaiverRef? waiver) => waiver is null
        ? "waived"
        : string.Create(CultureInfo.InvariantCulture, $"waived until {waiver.Expires:yyyy-MM-dd} by {waiver.Owner}{(waiver.Ticket is null ? "" : $" ({waiver.Ticket})")}: {waiver.Justification}");
}
