import ArgumentParser
import CStdio
import Foundation

/// The `emr` command tree.
struct EMR: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "emr",
        abstract: "EMR Stream: Synthea medical records through Kafka into always-current analytics marts.",
        discussion: """
            Exit codes: 0 success, 1 runtime failure, 2 usage error. \
            Kafka connection: --brokers (default $EMR_BROKERS, else localhost:9092); any librdkafka \
            property via --kafka-property KEY=VALUE, --kafka-config FILE, or EMR_KAFKA_<PROPERTY> \
            environment variables (EMR_KAFKA_SASL_PASSWORD sets sasl.password).
            """,
        subcommands: [BrokerCommand.self, TopicsCommand.self, GenerateCommand.self, ProduceCommand.self, ConsumeCommand.self, ServeCommand.self, VerifyCommand.self, ExportCommand.self, SnapshotCommand.self, MartsCommand.self, QuarantineCommand.self, ProbeCommand.self, DemoCommand.self, BenchCommand.self]
    )
}

/// Runs the command tree with the project's exit-code convention.
@main
enum EntryPoint {
    static func main() async {
        emr_line_buffer_stdout()
        do {
            var command = try EMR.parseAsRoot()
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            exit(ExitStatus.report(error))
        }
    }
}
