/// Why the producers or the consumer cannot run: each case names what to fix.
public enum PipelineError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A topic declaration names an entity the pipeline does not know.
    case unknownEntity(file: String, entity: String)
    /// No raw topic is declared for an entity.
    case noRawTopic(entity: String)
    /// No topic with `role=deadletter` is declared.
    case noDeadLetterTopic
    /// `--facility` names organizations that are not in the export.
    case unknownFacilities(file: String, ids: [String])
    /// With `--exit-when-caught-up`: no broker answered within the connect timeout.
    case noBrokerAnswered(seconds: Int, bootstrapServers: String)

    public var description: String {
        switch self {
        case .unknownEntity(let file, let entity): "\(file): unknown entity '\(entity)'"
        case .noRawTopic(let entity): "no raw topic declared for \(entity)"
        case .noDeadLetterTopic: "no dead-letter topic declared (a file under topics/ with role=deadletter)"
        case .unknownFacilities(let file, let ids): "\(file): no organization with Id \(ids.joined(separator: ", "))"
        case .noBrokerAnswered(let seconds, let servers):
            "no broker answered within \(seconds) s (bootstrap servers: \(servers)); check --brokers / EMR_BROKERS (or raise --connect-timeout)"
        }
    }
}
