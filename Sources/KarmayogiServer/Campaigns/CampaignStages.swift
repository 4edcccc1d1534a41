import Fluent
import Foundation
import KarmayogiCore
import Vapor

/// Campaigns move from scheduled to live to closed by their dates. Reads take the stage from the dates, so it is right
/// to the second; this scheduled job (one node of the cluster at a time, every minute) records each move in the
/// campaign's stored stage and the log, so that operators see when a learning week went live or closed.
enum CampaignStages {
    static let kind = "campaigns.stages"

    static func register(on app: Application) {
        app.jobs.register(kind) { _, _, app in _ = try await move(app: app) }
        app.jobs.every(60, kind: kind)
    }

    /// Moves the stored stage of every campaign whose dates moved it; answers how many moved.
    static func move(app: Application) async throws -> Int {
        let now = app.clock.now(), today = IndiaDay.of(now)
        var moved = 0
        for campaign in try await Campaign.query(on: app.db).filter(\.$publishedAt != nil).filter(\.$storedStage != .closed).all() {
            let stage = campaign.stage(today: today)
            guard stage != campaign.storedStage else { continue }
            app.logger.notice("campaign \"\(campaign.name)\" (\(campaign.id!)) is now \(stage.rawValue), was \(campaign.storedStage.rawValue)")
            campaign.storedStage = stage
            campaign.updatedAt = now
            try await campaign.update(on: app.db)
            moved += 1
        }
        return moved
    }
}
