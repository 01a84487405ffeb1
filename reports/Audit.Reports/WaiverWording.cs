using System.Globalization;
using Audit.Core.Results;

namespace Audit.Reports;

/// <summary>The sentences about a waiver that the outputs print, written once.</summary>
public static class WaiverWording
{
    /// <summary>"waived until 2027-01-31 by owner (ticket): justification", or "waived" when the waiver is not known.</summary>
    public static string WaivedUntil(WaiverRef? waiver) => waiver is null
        ? "waived"
        : string.Create(CultureInfo.InvariantCulture, $"waived until {waiver.Expires:yyyy-MM-dd} by {waiver.Owner}{(waiver.Ticket is null ? "" : $" ({waiver.Ticket})")}: {waiver.Justification}");

    /// <summary>
    /// A waiver in the HTML report's finding detail, one part per line: the justification, "owner: ", "ticket: " (when
    /// there is one), "expires: " and "matched by: " (the waiver's rule and entity pattern). Each part is sanitized
    /// (<see cref="TextSanitizer"/>: the justification may keep its own lines, the owner and pattern may not).
    /// </summary>
    public static string Details(WaiverRef waiver) => string.Create(CultureInfo.InvariantCulture,
        $"{TextSanitizer.Display(waiver.Justification)}\nowner: {TextSanitizer.Name(waiver.Owner)}{(string.IsNullOrEmpty(waiver.Ticket) ? "" : "\nticket: " + TextSanitizer.Display(waiver.Ticket))}\nexpires: {waiver.Expires:yyyy-MM-dd}\nmatched by: {TextSanitizer.Name(waiver.Rule + " " + waiver.Entity)}");
}
