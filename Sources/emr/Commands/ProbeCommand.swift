import ArgumentParser
import Foundation
import Service

/// `emr probe URL`: an HTTP health check with no other tool in the image (Docker HEALTHCHECK).
struct ProbeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "probe",
        abstract: "GET an http:// URL; exit 0 on a 2xx answer, 1 otherwise (a container health check).",
        discussion: """
            Prints the status and, when it is not 2xx, the start of the body (/readyz says why). \
            Only plain http:// URLs, as the service serves them.

            Examples:
              emr probe http://127.0.0.1:8080/readyz
              HEALTHCHECK CMD ["emr", "probe", "http://127.0.0.1:8080/readyz"]
            """
    )

    @Argument(help: ArgumentHelp("The URL to GET, e.g. http://127.0.0.1:8080/readyz.", valueName: "url"))
    var url: String

    @Option(name: .long, help: ArgumentHelp("Seconds to wait for the connection and the answer.", valueName: "seconds"))
    var timeout: Double = 5

    @Flag(name: .shortAndLong, help: "Print nothing; the exit code tells.")
    var quiet = false

    func validate() throws {
        try OptionChecks.check(timeout, "--timeout", 0.001...3_600, unit: " s")
        do { _ = try HTTPProbe(url: url) } catch { throw ValidationError(error.description) }
    }

    func run() throws {
        let probe = try HTTPProbe(url: url)
        let answer = try probe.get(timeoutSeconds: timeout)
        let healthy = (200..<300).contains(answer.status)
        if !quiet {
            let detail = healthy ? "" : " " + answer.body.trimmingCharacters(in: .whitespacesAndNewlines)
            print("\(url): \(answer.status)\(detail)")
        }
        if !healthy { throw ExitCode(1) }
    }
}
