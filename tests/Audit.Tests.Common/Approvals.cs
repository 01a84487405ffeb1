using System.Text;
using Xunit;

namespace Audit.Tests.Common;

/// <summary>
/// Approved (golden) files: the test's output must equal tests/PROJECT/Approved/NAME. On a difference the received
/// text is written beside it as NAME.received (git-ignored) so a reviewer can diff and, if right, approve it by renaming.
/// Set AUDIT_APPROVE=1 to write missing or changed approved files (then review them with git diff).
/// </summary>
public static class Approvals
{
    public static void Verify(string project, string name, string received)
    {
        received = received.Replace("\r\n", "\n", StringComparison.Ordinal);
        var dir = RepoPaths.Approved(project);
        Directory.CreateDirectory(dir);
        var approvedPath = Path.Combine(dir, name);
        var receivedPath = approvedPath + ".received";
        var approve = Environment.GetEnvironmentVariable("AUDIT_APPROVE") == "1";
        if (!File.Exists(approvedPath))
        {
            if (approve)
            {
                File.WriteAllText(approvedPath, received, new UTF8Encoding(false));
                return;
            }
            File.WriteAllText(receivedPath, received, new UTF8Encoding(false));
            Assert.Fail($"No approved file {approvedPath}. Received output written to {receivedPath}; review it and rename to approve (or run with AUDIT_APPROVE=1).");
        }
        var approved = File.ReadAllText(approvedPath).Replace("\r\n", "\n", StringComparison.Ordinal);
        if (approved == received)
        {
            if (File.Exists(receivedPath))
            {
                File.Delete(receivedPath);
            }
            return;
        }
        if (approve)
        {
            File.WriteAllText(approvedPath, received, new UTF8Encoding(false));
            return;
        }
        File.WriteAllText(receivedPath, received, new UTF8Encoding(false));
        Assert.Equal(approved, received);
    }
}
