//! Reports to the operators, suspensions from open chats, and who the
//! operators are.

use crate::rows::{i64_col, opt_i64, text};
use crate::{Result, SqlStore};
use async_trait::async_trait;
use madang_types::{Millis, ReportId, UserId};

#[derive(Clone, Debug)]
pub struct NewReport {
    pub reporter: UserId,
    pub reported: UserId,
    /// The target as JSON (`ReportTarget`).
    pub target: String,
    pub reason: String,
    pub details: String,
    pub excerpt: String,
    pub at: Millis,
}

#[derive(Clone, Debug)]
pub struct ReportRow {
    pub id: ReportId,
    pub reporter: UserId,
    pub reported: UserId,
    pub target: String,
    pub reason: String,
    pub details: String,
    pub excerpt: String,
    pub created_at: Millis,
    pub resolved_at: Option<Millis>,
}

#[derive(Clone, Debug)]
pub struct SuspensionRow {
    pub user_id: UserId,
    /// `None`: permanent.
    pub until: Option<Millis>,
    pub reason: String,
    pub created_at: Millis,
}

#[async_trait]
pub trait SafetyRepo: Send + Sync {
    async fn create_report(&self, report: NewReport) -> Result<ReportRow>;
    /// Reports not yet resolved, oldest first.
    async fn open_reports(&self, limit: i64) -> Result<Vec<ReportRow>>;
    /// True when it was open.
    async fn resolve_report(&self, id: ReportId, by: UserId, at: Millis) -> Result<bool>;
    /// Suspends (or re-suspends) `user` from open chats until `until`
    /// (`None`: for good).
    async fn suspend(
        &self,
        user: UserId,
        until: Option<Millis>,
        reason: &str,
        by: UserId,
        at: Millis,
    ) -> Result<()>;
    /// True when there was a suspension.
    async fn lift_suspension(&self, user: UserId) -> Result<bool>;
    async fn suspension(&self, user: UserId) -> Result<Option<SuspensionRow>>;
    async fn suspensions(&self) -> Result<Vec<SuspensionRow>>;
    async fn set_operator(&self, user: UserId, operator: bool) -> Result<()>;
    async fn is_operator(&self, user: UserId) -> Result<bool>;
}

const REPORT_COLS: &str =
    "id, reporter_id, reported_id, target, reason, details, excerpt, created_at, resolved_at";

fn report_row(row: &sqlx::any::AnyRow) -> Result<ReportRow> {
    Ok(ReportRow {
        id: ReportId(i64_col(row, "id")?),
        reporter: UserId(i64_col(row, "reporter_id")?),
        reported: UserId(i64_col(row, "reported_id")?),
        target: text(row, "target")?,
        reason: text(row, "reason")?,
        details: text(row, "details")?,
        excerpt: text(row, "excerpt")?,
        created_at: Millis(i64_col(row, "created_at")?),
        resolved_at: opt_i64(row, "resolved_at")?.map(Millis),
    })
}

fn suspension_row(row: &sqlx::any::AnyRow) -> Result<SuspensionRow> {
    Ok(SuspensionRow {
        user_id: UserId(i64_col(row, "user_id")?),
        until: opt_i64(row, "until")?.map(Millis),
        reason: text(row, "reason")?,
        created_at: Millis(i64_col(row, "created_at")?),
    })
}

#[async_trait]
impl SafetyRepo for SqlStore {
    async fn create_report(&self, r: NewReport) -> Result<ReportRow> {
        let sql = format!(
            "INSERT INTO reports (reporter_id, reported_id, target, reason, details, excerpt, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING {REPORT_COLS}"
        );
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(r.reporter.0)
            .bind(r.reported.0)
            .bind(&r.target)
            .bind(&r.reason)
            .bind(&r.details)
            .bind(&r.excerpt)
            .bind(r.at.0)
            .fetch_one(self.pool())
            .await?;
        report_row(&row)
    }

    async fn open_reports(&self, limit: i64) -> Result<Vec<ReportRow>> {
        let sql = format!(
            "SELECT {REPORT_COLS} FROM reports WHERE resolved_at IS NULL ORDER BY created_at, id LIMIT $1"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(limit)
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(report_row).collect()
    }

    async fn resolve_report(&self, id: ReportId, by: UserId, at: Millis) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE reports SET resolved_at = $2, resolved_by = $3 WHERE id = $1 AND resolved_at IS NULL",
        )
        .bind(id.0)
        .bind(at.0)
        .bind(by.0)
        .execute(self.pool())
        .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn suspend(
        &self,
        user: UserId,
        until: Option<Millis>,
        reason: &str,
        by: UserId,
        at: Millis,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO suspensions (user_id, until, reason, by_id, created_at) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (user_id) DO UPDATE SET until = $2, reason = $3, by_id = $4, created_at = $5",
        )
        .bind(user.0)
        .bind(until.map(|u| u.0))
        .bind(reason)
        .bind(by.0)
        .bind(at.0)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    async fn lift_suspension(&self, user: UserId) -> Result<bool> {
        let done = sqlx::query("DELETE FROM suspensions WHERE user_id = $1")
            .bind(user.0)
            .execute(self.pool())
            .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn suspension(&self, user: UserId) -> Result<Option<SuspensionRow>> {
        let row =
            sqlx::query("SELECT user_id, until, reason, created_at FROM suspensions WHERE user_id = $1")
                .bind(user.0)
                .fetch_optional(self.pool())
                .await?;
        row.as_ref().map(suspension_row).transpose()
    }

    async fn suspensions(&self) -> Result<Vec<SuspensionRow>> {
        let rows = sqlx::query(
            "SELECT user_id, until, reason, created_at FROM suspensions ORDER BY created_at DESC",
        )
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(suspension_row).collect()
    }

    async fn set_operator(&self, user: UserId, operator: bool) -> Result<()> {
        sqlx::query("UPDATE users SET operator = $2 WHERE id = $1")
            .bind(user.0)
            .bind(i64::from(operator))
            .execute(self.pool())
            .await?;
        Ok(())
    }

    async fn is_operator(&self, user: UserId) -> Result<bool> {
        let row = sqlx::query("SELECT operator FROM users WHERE id = $1")
            .bind(user.0)
            .fetch_optional(self.pool())
            .await?;
        Ok(row.map(|r| i64_col(&r, "operator")).transpose()?.unwrap_or(0) != 0)
    }
}
