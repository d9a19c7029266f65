//! The wire form of Pungs for one caller: authors and tagged people as the
//! caller may see them, the photo, the caller's reactions and vote, poll
//! results where they may be shown, and for the author the audience and
//! the counts.

use super::rules;
use crate::{Core, Result, Session};
use madang_store::PungForViewer;
use madang_types::pung::{PollState, Pung, PungPhoto};
use madang_types::{PungId, UserId};
use std::collections::HashMap;

impl Core {
    /// Builds the wire form of Pungs the caller may see.
    pub(super) async fn assemble_pungs(&self, me: &Session, rows: Vec<PungForViewer>) -> Result<Vec<Pung>> {
        let ids: Vec<PungId> = rows.iter().map(|r| r.pung.id).collect();
        let mut tags: HashMap<PungId, Vec<UserId>> = HashMap::new();
        for (pung, user) in self.repos.pung_tags(&ids).await? {
            tags.entry(pung).or_default().push(user);
        }
        let mut people: Vec<UserId> = rows.iter().map(|r| r.pung.author_id).collect();
        people.extend(tags.values().flatten());
        people.sort();
        people.dedup();
        let profiles = self.profiles_seen_by(me.user, &people).await?;
        let mut reactions: HashMap<PungId, Vec<String>> = HashMap::new();
        for (pung, emoji) in self.repos.my_pung_reactions(&ids, me.user).await? {
            reactions.entry(pung).or_default().push(emoji);
        }
        let votes = self.repos.vote_counts(&ids, me.user).await?;
        let own: Vec<PungId> = rows
            .iter()
            .filter(|r| r.pung.author_id == me.user)
            .map(|r| r.pung.id)
            .collect();
        let stats: HashMap<PungId, (i64, i64)> = self
            .repos
            .pung_stats(&own)
            .await?
            .into_iter()
            .map(|s| (s.pung, (s.views, s.reactions)))
            .collect();
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            let p = r.pung;
            let Some(author) = profiles.get(&p.author_id).cloned() else {
                continue;
            };
            let mine = p.author_id == me.user;
            let photo = match &p.media_id {
                Some(m) => self.repos.media(m).await?.map(|m| PungPhoto {
                    media_id: m.id,
                    thumbnail: m.thumbnail,
                    width: m.width,
                    height: m.height,
                }),
                None => None,
            };
            let poll = rules::poll_options(&p.layers).map(|n| {
                let counted: Vec<_> = votes.iter().filter(|c| c.pung == p.id).collect();
                let my_vote = counted.iter().find(|c| c.mine).map(|c| c.choice);
                let show = mine || my_vote.is_some();
                PollState {
                    my_vote,
                    votes: show.then(|| {
                        (0..n as i64)
                            .map(|i| counted.iter().filter(|c| c.choice == i).map(|c| c.count).sum())
                            .collect()
                    }),
                }
            });
            let (shared_with, (view_count, reaction_count)) = if mine {
                let shared = self.repos.pung_audience(p.id).await?;
                (Some(shared), stats.get(&p.id).copied().unwrap_or((0, 0)))
            } else {
                (None, (0, 0))
            };
            out.push(Pung {
                id: p.id,
                author,
                kind: p.kind,
                text: p.text,
                background: p.background,
                photo,
                layers: p.layers,
                tags: tags
                    .remove(&p.id)
                    .unwrap_or_default()
                    .iter()
                    .filter_map(|u| profiles.get(u).cloned())
                    .collect(),
                created_at: p.created_at,
                expires_at: p.expires_at,
                seen: mine || r.seen,
                my_reactions: reactions.remove(&p.id).unwrap_or_default(),
                poll,
                audience: mine.then_some(p.audience_mode),
                shared_with,
                view_count: mine.then_some(view_count),
                reaction_count: mine.then_some(reaction_count),
            });
        }
        Ok(out)
    }
}
