namespace Audit.Cli;

/// <summary>The command line is wrong (exit 64): one sentence saying what and how to fix it.</summary>
internal sealed class UsageException : Exception
{
    public UsageException()
    {
    }

    public UsageException(string message) : base(message)
    {
    }

    public UsageException(string message, Exception inner) : base(message, inner)
    {
    }
}
