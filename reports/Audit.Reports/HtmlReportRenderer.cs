using System.Net;
using System.Reflection;
using System.Security.Cryptography;
using System.Text;
using Audit.Core;
using Scriban;
using Scriban.Parsing;
using Scriban.Runtime;
using Audit.Core.Loading;
using Audit.Core.Results;
using Audit.Core.Schema;

namespace Audit.Reports;

/// <summary>
/// The auditor's report: one self-contained HTML file (CSS and script inline, no network), rendered with Scriban from
/// templates/report.html.sbn. Every value the template writes is HTML-escaped by <see cref="EscapingTemplateContext"/>
/// unless it is <see cref="RawHtml"/> produced here. A Content-Security-Policy allows only the page's own script and style
/// (by hash) and no network at all, so even a missed escape could not run or fetch anything.
/// </summary>
public static class HtmlReportRenderer
{
    /// <summary>The embedded template's file name (templates/report.html.sbn).</summary>
    public const string TemplateName = "report.html.sbn";

    private static readonly Lazy<Template> Default = new(() => Parse(Resource("templates/" + TemplateName), TemplateName));

    /// <summary>The HTML report of <paramref name="results"/> as one string (tests, small estates).</summary>
    public static string Render(ResultsDocument results, string? templatePath = null)
    {
        using var sw = new StringWriter();
        Render(results, sw, templatePath);
        return sw.ToString();
    }

    /// <summary>Iterations one loop of a --template may run.</summary>
    public const int CustomLoopLimit = 10_000_000;

    /// <summary>Characters a --template may write (the data block streamed in by the embedded template does not count).</summary>
    public const int CustomOutputLimit = 1 << 30;

    /// <summary>Time a --template may take to render.</summary>
    public static readonly TimeSpan CustomTimeLimit = TimeSpan.FromMinutes(5);

    /// <summary>Largest --template file.</summary>
    public const long MaxTemplateBytes = 4 << 20;

    /// <summary>Writes the HTML report of <paramref name="results"/> to <paramref name="output"/>, with the embedded template or the --template at <paramref name="templatePath"/>.</summary>
    public static void Render(ResultsDocument results, TextWriter output, string? templatePath = null, CancellationToken cancel = default)
    {
        var template = templatePath is null ? Default.Value : Parse(ReadTemplate(templatePath, templatePath), templatePath);
        var view = ReportView.Build(results);
        var script = Resource("templates/report.js");
        var style = Resource("templates/report.css");

        var globals = new ScriptObject();
        globals.Import(view, renamer: StandardMemberRenamer.Default);
        globals["style"] = new RawHtml(style);
        globals["script"] = new RawHtml(script);
        var printStyle = PrintHeader.Css(results);
        globals["print_style"] = new RawHtml(printStyle);
        globals["data_json"] = new StreamedHtml(stream => ReportData.Write(results, view, stream));
        globals["csp"] = $"default-src 'none'; script-src '{Hash(script)}'; style-src '{Hash(style)}' '{Hash(printStyle)}'; img-src 'none'; connect-src 'none'; font-src 'none'; base-uri 'none'; form-action 'none'";

        var context = new EscapingTemplateContext
        {
            // The embedded template is trusted, over untrusted data of any size: no silent truncation of loops or output.
            // A --template file is not: its loops, output and time are bounded, and the limits are errors, never truncation.
            LoopLimit = templatePath is null ? 0 : CustomLoopLimit,
            LoopLimitQueryable = templatePath is null ? 0 : CustomLoopLimit,
            RecursiveLimit = 100,
            LimitToString = 0,
            OutputLimit = templatePath is null ? null : CustomOutputLimit,
            OnOutputLimit = ScriptLimitBehavior.Throw,
            StrictVariables = true,
            MemberRenamer = StandardMemberRenamer.Default,
        };
        using var timeout = templatePath is null ? null : new CancellationTokenSource(CustomTimeLimit);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancel, timeout?.Token ?? CancellationToken.None);
        context.CancellationToken = linked.Token;
        if (templatePath is not null && context.BuiltinObject["object"] is ScriptObject objectFunctions)
        {
            // A report template has no business compiling and running text of its own.
            objectFunctions.Remove("eval");
            objectFunctions.Remove("eval_template");
        }
        context.PushGlobal(globals);
        context.PushOutput(new TextWriterOutput(output));
        try
        {
            template.Render(context);
        }
        catch (Exception e) when (cancel.IsCancellationRequested && e is not OperationCanceledException)
        {
            // Stopped by the caller (Ctrl+C, SIGTERM) in whatever form the template engine reports it.
            throw new OperationCanceledException("report rendering stopped", e, cancel);
        }
        catch (Exception e) when (timeout?.IsCancellationRequested == true && !cancel.IsCancellationRequested && e is OperationCanceledException or Scriban.Syntax.ScriptRuntimeException)
        {
            throw new InputException(new Diagnostic(DiagnosticCodes.TemplateError, DiagnosticLevel.Error,
                $"rendering did not finish within {CustomTimeLimit.TotalMinutes:0} minutes (a loop without end?)", templatePath));
        }
        catch (Scriban.Syntax.ScriptRuntimeException e) when (templatePath is not null)
        {
            // A custom template naming a value that does not exist, and the like: the template's fault, with its position.
            throw new InputException(new Diagnostic(DiagnosticCodes.TemplateError, DiagnosticLevel.Error, e.OriginalMessage, templatePath, e.Span.Start.Line + 1, e.Span.Start.Column + 1));
        }
        output.Flush();
    }

    /// <summary>Parses a --template file without rendering: its errors surface before any work is done.</summary>
    public static void CheckTemplate(string templatePath, string displayPath) => Parse(ReadTemplate(templatePath, displayPath), displayPath);

    /// <summary>A --template file: regular file, at most <see cref="MaxTemplateBytes"/>, strict UTF-8 (an invalid byte is an error at its position).</summary>
    private static string ReadTemplate(string path, string displayPath)
    {
        var bytes = InputFile.ReadAllBytes(path, MaxTemplateBytes, displayPath);
        var start = bytes.AsSpan().StartsWith(Encoding.UTF8.Preamble) ? 3 : 0;
        try
        {
            return new UTF8Encoding(false, true).GetString(bytes, start, bytes.Length - start);
        }
        catch (DecoderFallbackException e)
        {
            var offset = start + Math.Max(0, e.Index);
            var (line, column) = JsonPositionIndex.LineColumnOf(bytes, offset);
            throw new InputException(new Diagnostic(DiagnosticCodes.TemplateError, DiagnosticLevel.Error, $"invalid UTF-8 byte 0x{bytes[offset]:X2} at byte offset {offset}", displayPath, line, column));
        }
    }

    private static Template Parse(string text, string name)
    {
        var template = Template.Parse(text, name);
        if (template.HasErrors)
        {
            throw new InputException(template.Messages.Select(m =>
                new Diagnostic(DiagnosticCodes.TemplateError, DiagnosticLevel.Error, m.Message, name, m.Span.Start.Line + 1, m.Span.Start.Column + 1)).ToList());
        }
        return template;
    }

    private static string Hash(string inline) => "sha256-" + Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes(inline)));

    internal static string Resource(string name)
    {
        using var stream = typeof(HtmlReportRenderer).Assembly.GetManifestResourceStream(name)
            ?? throw new InvalidOperationException($"embedded resource {name} missing from {Assembly.GetExecutingAssembly().GetName().Name}");
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return reader.ReadToEnd().Replace("\r\n", "\n", StringComparison.Ordinal);
    }
}

/// <summary>Markup produced by the renderer itself (inline CSS, script, escaped JSON): written as is.</summary>
internal sealed record RawHtml(string Value)
{
    public override string ToString() => Value;
}

/// <summary>
/// Markup the renderer produces at the point of output (the findings data block, tens of MiB for a large estate): written
/// straight to the output's stream when it is a UTF-8 <see cref="StreamWriter"/>, never held as one string there.
/// </summary>
internal sealed class StreamedHtml(Action<Stream> write)
{
    public void WriteTo(TextWriter output)
    {
        if (output is StreamWriter { Encoding: UTF8Encoding } sw)
        {
            sw.Flush();
            write(sw.BaseStream);
            return;
        }
        output.Write(ToString());
    }

    public override string ToString()
    {
        using var ms = new MemoryStream();
        write(ms);
        return Encoding.UTF8.GetString(ms.GetBuffer(), 0, (int)ms.Length);
    }
}

/// <summary>Scriban has no automatic escaping: this context HTML-encodes every value an expression writes.</summary>
internal sealed class EscapingTemplateContext : TemplateContext
{
    public override TemplateContext Write(SourceSpan span, object? textAsObject)
    {
        if (textAsObject is RawHtml raw)
        {
            Write(raw.Value);
            return this;
        }
        if (textAsObject is StreamedHtml streamed)
        {
            if (Output is TextWriterOutput direct)
            {
                streamed.WriteTo(direct.Writer);
            }
            else
            {
                Write(streamed.ToString());
            }
            return this;
        }
        var text = textAsObject is string s ? s : ObjectToString(textAsObject!) ?? "";
        Write(WebUtility.HtmlEncode(text));
        return this;
    }
}
