//! Online backup and verified restore of the SQLite database.

use super::*;

impl Store {
    /// A consistent copy of the live database in `dest`, taken online.
    /// SQLite only: `VACUUM INTO` writes a compact, transactionally
    /// consistent snapshot while the service keeps running.
    pub async fn backup(&self, dest: &Path) -> Result<()> {
        let Db::Sqlite(pool) = &self.db else {
            return Err(StoreError::Backup(
                "backup of PostgreSQL is pg_dump's job: pg_dump --format=custom \"$DATABASE_URL\" > FILE".into(),
            ));
        };
        if dest.exists() {
            return Err(StoreError::Backup(format!(
                "{} already exists; not overwriting it",
                dest.display()
            )));
        }
        let dest = dest
            .to_str()
            .ok_or_else(|| StoreError::Backup("the backup path must be valid UTF-8".into()))?;
        sqlx::query("VACUUM INTO $1")
            .bind(dest)
            .execute(pool)
            .await?;
        Ok(())
    }

    /// Replace this SQLite database with the backup in `source`, after
    /// checking the backup's integrity and that it is a Dealwatch database
    /// no newer than this binary. Stop `dealwatch serve` first.
    pub async fn restore(self, source: &Path) -> Result<Store> {
        let Some(target) = self.sqlite_path.clone() else {
            return Err(StoreError::Backup(
                "restore of PostgreSQL is pg_restore's job: pg_restore --clean -d \"$DATABASE_URL\" FILE".into(),
            ));
        };
        verify_backup(source).await?;
        self.close().await;
        let staging = target.with_extension("restoring");
        std::fs::copy(source, &staging)
            .map_err(|e| StoreError::Backup(format!("copying the backup: {e}")))?;
        for suffix in ["-wal", "-shm"] {
            let mut side = target.clone().into_os_string();
            side.push(suffix);
            match std::fs::remove_file(&side) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => {
                    return Err(StoreError::Backup(format!(
                        "removing {}: {e}",
                        PathBuf::from(side).display()
                    )))
                }
            }
        }
        std::fs::rename(&staging, &target)
            .map_err(|e| StoreError::Backup(format!("replacing the database: {e}")))?;
        let url = format!("sqlite://{}", target.display());
        Store::open(&url).await
    }
}
