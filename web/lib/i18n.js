// @ts-check
/** Korean and English strings. The language follows the browser until the
 * person picks one in More → Language. */

const en = {
  app: 'Madang', tagline: 'Chats, friends and your neighbourhood, on a server you trust.',
  login: 'Log in', signup: 'Sign up', logout: 'Log out', handle: 'Handle', password: 'Password',
  displayName: 'Display name', haveAccount: 'Already have an account? Log in', noAccount: 'New here? Sign up',
  friends: 'Friends', chats: 'Chats', openchat: 'Open Chat', pung: 'Pung', local: 'Local', more: 'More',
  myProfile: 'My profile', favourites: 'Favourites', birthdays: 'Birthdays today', allFriends: 'Friends',
  addFriend: 'Add friend', addByHandle: 'Add by handle', add: 'Add', block: 'Block', unblock: 'Unblock',
  favourite: 'Favourite', unfavourite: 'Remove favourite', hide: 'Hide', chat: 'Chat', blocked: 'Blocked',
  noFriends: 'No friends yet. Add someone by their handle.', search: 'Search',
  newGroup: 'New group', groupTitle: 'Group name', create: 'Create', cancel: 'Cancel', members: 'Members',
  noChats: 'No chats yet. Start one from a friend’s profile.', typeMessage: 'Message', send: 'Send',
  attach: 'Attach a file', reply: 'Reply', react: 'React', edit: 'Edit', delete: 'Delete', save: 'Save',
  roomTools: 'More tools',
  peek: 'Read without a receipt', peekAt: 'Read {title} without a receipt', readNow: 'Mark as read',
  peeking: 'Reading without a receipt: their 1 stays until you mark it read or write.',
  folders: 'Folders', folderAll: 'All', folderUnread: 'Unread', folderOpen: 'Open chats', folderChannels: 'Channels',
  newFolder: 'New folder', editFolder: 'Edit folder', deleteFolder: 'Delete folder', folderName: 'Folder name',
  folderRooms: 'Chats in this folder (up to {n})', noChatsInView: 'No chats here.',
  err_folder_limit: 'You already have as many folders as allowed.', err_folder_rooms_limit: 'A folder cannot hold that many chats.',
  err_invalid_folder_name: 'A folder name is 1–20 characters.', err_folder_not_found: 'That folder is gone.',
  err_folder_order_mismatch: 'The folders changed meanwhile; try again.',
  deleted: 'This message was deleted.', hiddenByHost: 'Hidden by the host.', edited: 'edited', typing: '{name} is typing…',
  replyingTo: 'Replying to {name}', loadingOlder: 'Loading earlier messages…', back: 'Back',
  unreadBy: '{n} unread', newMessages: 'New messages', invite: 'Invite', leave: 'Leave',
  mute: 'Mute', unmute: 'Unmute', pin: 'Pin', unpin: 'Unpin', muted: 'Muted',
  offline: 'Offline — reconnecting…', reconnecting: 'Reconnecting…',
  statusMessage: 'Status message', birthday: 'Birthday', avatar: 'Profile photo', changePhoto: 'Change photo',
  devices: 'Devices', thisDevice: 'This device', revoke: 'Log out device', language: 'Language',
  saved: 'Saved', lastSeen: 'Last active {time}',
  error: 'Something went wrong', file: 'File', image: 'Photo',
  newPung: 'New Pung', myPung: 'My Pung', addPung: 'Add a Pung', pungTextKind: 'Text', pungPhotoKind: 'Photo',
  pungText: 'What’s happening?', pungCaption: 'Caption', background: 'Background', choosePhoto: 'Choose a photo',
  decorations: 'Decorations', addText: 'Text', addSticker: 'Sticker', addPoll: 'Poll', addLink: 'Link', addPlace: 'Place',
  pollQuestion: 'Question', pollOption: 'Option {n}', linkUrl: 'Address (https://…)', linkLabel: 'Label',
  placeName: 'Place name', latitude: 'Latitude', longitude: 'Longitude', useMyLocation: 'Use my location',
  layerText: 'Text on the card', dragHint: 'Drag decorations on the preview to place them.', remove: 'Remove',
  audience: 'Who can see it', audFriends: 'All friends', audChosen: 'Chosen friends', audExcept: 'All friends except…',
  audOnlyMe: 'Only me', mutualNote: 'Pungs go only to friends who have added you too.',
  duration: 'Disappears after', hours: '{n} h', tagFriends: 'Tag friends (up to 10)', post: 'Post', posting: 'Posting…',
  pungViewers: 'Viewers', viewsReactions: '{v} seen · {r} reacted', noViewers: 'Nobody has seen it yet.',
  replyToPung: 'Reply to {name}…', replied: 'Reply sent', deletePung: 'Delete Pung', expiresIn: 'disappears in {t}',
  pungGone: 'This Pung has disappeared.', repliedToPung: 'Replied to a Pung', taggedYou: '{name} tagged you in a Pung',
  youTagged: 'You tagged {name} in a Pung', noPungs: 'No Pungs from friends right now.',
  pungEmpty: 'Share a moment that disappears in a day.', vote: '{n} vote', votes: '{n} votes', previous: 'Previous', next: 'Next',

  openSearch: 'Search open chats (e.g. 맛집, hiking)', categories: 'Categories', trendingToday: 'Trending today',
  recommendedForYou: 'For you', myTopics: 'Topics I follow', editTopics: 'Edit', topicsHint: 'Hashtags or categories, separated by spaces',
  newOpenChat: 'New open chat', join: 'Join', joined: 'Joined', openRoom: 'Open the chat',
  joinAs: 'Join as', nickname: 'Nickname', realProfile: 'My real profile', entryCode: 'Entry code',
  nicknameNote: 'Others see only this nickname and a generated picture, never your account.',
  noResults: 'No open chats found.', becauseTopic: 'Because you follow #{tag}', becauseRoom: 'People in {title} joined this',
  popularNow: 'Popular now', closeToYou: 'Close to what you like', hostedBy: 'Host: {name}', full: 'Full', codeRequired: 'Entry code', realOnly: 'Real profiles only',
  kindGroup: 'Group chat', kindOneOnOne: '1:1 chat', kindProfile: 'Open profile', title: 'Title', description: 'Description',
  hashtags: 'Hashtags', category: 'Category', visibility: 'Who can find it', visPublic: 'Anyone (search)', visLink: 'Only with the link',
  memberCap: 'Member limit', hostAs: 'Appear as', link: 'Link', copyLink: 'Copy link', hideMsg: 'Hide', restore: 'Restore',
  kick: 'Kick', kickBan: 'Kick and ban', report: 'Report', reported: 'Reported', notice: 'Notice', pinNotice: 'Pin as notice',
  unpinNotice: 'Take down', host: 'Host', cohost: 'Co-host', makeCohost: 'Make co-host', bannedWords: 'Banned words',
  closed: 'This open chat has closed.', handOver: 'Make host',
  err_banned: 'You were banned from this open chat.', err_suspended: 'You are suspended from open chats.',
  err_wrong_entry_code: 'That entry code is not right.', err_real_profile_required: 'This open chat is for real profiles only.',
  err_room_full: 'This open chat is full.', err_nickname_taken: 'Someone here already has that nickname.',
  err_invalid_nickname: 'A nickname is 1–20 characters.', err_rate_limited: 'Too many tries; wait a minute.',
  sponsored: 'Sponsored', earnings: 'Earnings', earningsTitle: 'My earnings', balance: 'Earned so far',
  byMonth: 'By month', byRoom: 'By open chat', noEarnings: 'No earnings yet. Add a subscription tier or let ads run in your open chats.',
  kind_subscription: 'Subscriptions', kind_ad_impression: 'Ad views', kind_ad_click: 'Ad clicks',
  subscriptions: 'Subscriptions', subscribersOnly: 'Subscribers only', subscribersOnlyNote: 'Joining needs an active subscription. Members already in stay.',
  tiers: 'Tiers', tierName: 'Tier name', price: 'Price', perDays: 'every {n} days', addTier: 'Add tier', retire: 'Stop selling',
  subscribe: 'Subscribe', subscribed: 'Subscribed until {date}', renews: 'renews', cancelSub: 'Cancel subscription',
  testCard: 'Test card', cardOk: 'Test card that pays', cardDeclined: 'Test card that is declined',
  testProviderNote: 'This server takes payments through its test provider: no real money moves.',
  err_subscription_required: 'Subscribe to one of this open chat’s tiers to join.', err_payment_declined: 'The payment was declined.',
  err_already_subscribed: 'You already have an active subscription here.', err_no_tiers: 'Add a tier first.',
  err_invalid_price: 'That price is outside what this server allows.', err_tier_retired: 'This tier takes no new subscribers.',
  cover: 'Cover image', removeCover: 'Remove cover', chatSettings: 'Open chat settings', entryCodeKeep: 'Unchanged (type a new one to change it)',
  entryCodeRemove: 'Remove the entry code', err_member_cap_below_members: 'The limit cannot be below the members there are now.',
  err_not_host: 'Only the host can do that.',
  cityHall: 'Seoul City Hall', hereNow: 'Where I am now', myNeighbourhood: 'My neighbourhood', setNeighbourhood: 'Make this my neighbourhood',
  neighbourhoodSaved: 'saved as my neighbourhood', noNeighbourhood: 'No neighbourhood set yet: choose a point, then “Make this my neighbourhood”.',
  noGeolocation: 'The browser could not tell where you are.', enterCoordinates: 'Enter coordinates', badCoordinates: 'Latitude and longitude are numbers.',
  allCategories: 'All categories', radius: 'Radius', openNow: 'Open now', closedNow: 'Closed', noShops: 'No shops in this area. Try a wider radius.',
  mapOf: 'Map of {n} shops within {r}', youAreHere: 'You are here', regular: 'Regular', becomeRegular: 'Become a regular',
  regularsCount: 'Regulars: {n}', channel: 'Channel', openingHours: 'Opening hours', closedDay: 'Closed', weekdays: 'Mon,Tue,Wed,Thu,Fri,Sat,Sun',
  coupons: 'Coupons', noCoupons: 'No coupons right now.', couponLeft: '{n} of {of} left', until: 'until {date}', regularsOnly: 'Regulars only',
  claim: 'Claim', claimed: 'In your wallet', soldOut: 'All gone', forTheShop: 'For the shop', customerCode: 'Customer’s code', redeem: 'Redeem',
  redeemed: 'Redeemed', issueCoupon: 'Issue a coupon', quantity: 'How many', perPerson: 'Per person', validUntil: 'Valid until',
  myCoupons: 'My coupons', myBusiness: 'My business', noClaims: 'No coupons yet. Claim one on a shop’s page.', showCode: 'Show this code at the shop',
  usedOn: 'Used {date}', expired: 'Expired',
  whatToReceive: 'What to receive', consentInformational: 'Notices', consentInformationalHint: ' — orders, reservations, news you asked for',
  consentMarketing: 'Advertising', consentMarketingHint: ' — offers and events, marked (광고)', consentNight: 'Advertising at night',
  consentNightHint: ' — between 21:00 and 08:00', addChannel: 'Add channel', removeChannel: 'Remove channel', channelFriends: '{n} friends',
  posts: 'Posts', noPosts: 'No posts yet.', optOut: 'Stop ads from this channel (광고 수신거부)', optedOut: 'You receive no advertising from this channel.',
  noBusiness: 'You do not run a business here yet.', owner: 'Owner', agent: 'Agent', agents: 'Agents', addAgent: 'Add an agent',
  channels: 'Channels', noChannels: 'No channels yet.', newChannel: 'Open a channel', shops: 'Shops', noShopsYet: 'No shops yet.', newShop: 'Add a shop',
  address: 'Address', opensAt: 'Opens', closesAt: 'Closes', closedOn: 'Closed on', newBusiness: 'Start a business',
  inbox: 'Inbox', campaigns: 'Campaigns', pickConversation: 'Pick a conversation.', status: 'Status', allConversations: 'All conversations',
  statusOpen: 'Open', statusClosed: 'Closed', status_idle: 'Not started', status_open: 'Open', status_closed: 'Closed',
  assignedToMe: 'Assigned to me', assigned: 'Assigned', assignToMe: 'Assign to me', closeConversation: 'Close', noConversations: 'No conversations.',
  answerAsChannel: 'Answer as the channel',
  newCampaign: 'New campaign', campaignName: 'Name (only you see it)', campaignKind: 'Kind', informational: 'Informational', advertising: 'Advertising',
  template: 'Message', templateHint: 'Hello #{name}! … (#{channel} and your own #{variables})', variables: 'Values (one key=value a line)',
  perPersonValues: 'Per-person values used (attribute names)', segment: 'Who gets it', regularsOf: 'Regulars of', everyFriend: 'Every friend of the channel',
  radiusMetres: 'Within (metres) of the point', anywhere: 'anywhere', tags: 'With tags', sendAt: 'Send at (empty: now)', preview: 'Preview',
  sendCampaign: 'Send', charsOf: '{n} of {max} characters', noCampaigns: 'No campaigns yet.', progress: 'Progress',
  stat_targeted: 'Targeted', stat_delivered: 'Delivered', stat_read: 'Read', stat_deferred: 'Deferred to 08:00', stat_waiting: 'Waiting for morning',
  stat_opted_out: 'Opted out', stat_skipped: 'Skipped',
  camp_scheduled: 'Scheduled', camp_sending: 'Sending', camp_waiting: 'Waiting for morning', camp_done: 'Done', camp_cancelled: 'Cancelled',
  skip_no_consent: 'no consent', skip_informational_refused: 'notices refused', skip_daily_limit: 'already had an ad today',
  skip_missing_variable: 'missing value', skip_too_long: 'too long', skip_unsubscribed: 'left the channel',
  rewriteCopy: '✨ Reword for each person (on-box AI)', rewriteHint: 'Every value stays exactly as written; when the model changes one or runs long, that person gets your message as written.',
  sampleValues: 'Preview as someone with (one attribute=value a line)', reworded: '✨ Reworded', asWritten: 'As written',
  stat_rewritten: 'Reworded', stat_fell_back: 'As written',
  fb_dropped_value: 'a value changed', fb_too_long: 'too long', fb_forbidden_text: 'wrote the label itself', fb_echoed_prompt: 'repeated its instructions', fb_unchanged: 'changed nothing', fb_empty: 'empty',
  fb_model_off: 'no model', fb_variant_cap: 'too many variants', fb_not_ready: 'not ready', fb_model_error: 'model failed',
  fb_missing_variable: 'missing value',
  cat_restaurant: 'Restaurant', cat_cafe: 'Café', cat_bakery: 'Bakery', cat_bar: 'Bar', cat_grocery: 'Grocery', cat_convenience: 'Convenience store',
  cat_pharmacy: 'Pharmacy', cat_beauty: 'Beauty', cat_fitness: 'Fitness', cat_clothing: 'Clothing', cat_books: 'Books', cat_flowers: 'Flowers',
  cat_pets: 'Pets', cat_laundry: 'Laundry', cat_services: 'Services', cat_other: 'Other',
  searchMessages: 'Search messages', noMessagesFound: 'No messages found.', clearSearch: 'Close search', moreResults: 'More results',
  oc_cat_friends: 'Friends', oc_cat_hobby: 'Hobbies', oc_cat_travel: 'Travel', oc_cat_food: 'Food', oc_cat_sports: 'Sports',
  oc_cat_outdoors: 'Outdoors', oc_cat_study: 'Study', oc_cat_career: 'Career', oc_cat_tech: 'Tech', oc_cat_games: 'Games',
  oc_cat_music: 'Music', oc_cat_movies: 'Movies', oc_cat_books: 'Books', oc_cat_art: 'Art', oc_cat_pets: 'Pets',
  oc_cat_parenting: 'Parenting', oc_cat_fashion: 'Fashion', oc_cat_beauty: 'Beauty', oc_cat_finance: 'Money',
  oc_cat_health: 'Health', oc_cat_local: 'Neighbourhood', oc_cat_fandom: 'Fandom',
  err_regulars_only: 'This coupon is for the shop’s regulars. Become a regular first.', err_coupon_exhausted: 'All of these coupons are gone.',
  err_claim_limit: 'You already have as many of these as one person may.', err_already_redeemed: 'That coupon was already used.',
  err_channel_removed: 'This person removed the channel; it can no longer write to them.',
  err_coupon_expired: 'That coupon has expired.', err_coupon_not_started: 'That coupon cannot be claimed yet.',
  err_unknown_variable: 'The message uses a value that is not defined.', err_unused_variable: 'A value is defined but the message does not use it.',
  err_too_long: 'The message is too long once filled in.', err_night_needs_marketing: 'Advertising at night needs advertising.',
  close: 'Close', justNow: 'just now', minutesAgo: '{n} min ago', hoursAgo: '{n} h ago', open: 'Open',
  summary: 'Summary', summariseUnread: 'Summarise unread', summarising: 'Summarising…',
  summaryOf: 'Summarising {n} messages…', summaryProgress: 'Reading part {done} of {of}…', summaryDone: 'Summary of what you missed',
  nothingUnread: 'You have read everything here.', summariseLatest: 'Summarise the last {n} messages',
  addAssistant: 'Add the assistant', removeAssistant: 'Remove the assistant', askAssistant: 'Message — mention @{name} to ask it',
  aiFailed: 'That did not work. Try again in a moment.',
  err_feature_off: 'This server does not offer that.', err_ai_busy: 'The server’s model is busy. Try again in a moment.',
  err_not_a_group: 'Only group chats can do that.',
  err_delete_window_passed: 'The time for deleting this message for everyone has passed.',
  err_edit_window_passed: 'The time for editing this message has passed.',
  screening: 'Spam screening', screeningMode: 'What to hold for review', screening_off: 'Off: banned words and flood limits only',
  screening_model: 'Hide what reads like known spam', screening_strict: 'Also hold newcomers’ links',
  modelSignalOn: 'This server compares messages with spam its operator labelled.',
  modelSignalOff: 'This server does not compare messages with labelled spam; only newcomers’ links are held (strict).',
  heldForReview: 'Held for review', nothingHeld: 'Nothing is waiting for review.',
  flag_like_spam: 'Like spam', flag_newcomer_link: 'Newcomer’s link', showAgain: 'Show again', keepHidden: 'Keep hidden',
  err_flag_not_found: 'That message is no longer waiting for review.',
  err_banned_word: 'The host does not allow “{word}” here.',
  err_flooding_same_text: 'You sent the same message several times. Try again in {secs} s.',
  err_flooding_links: 'Too many links in a minute. Try again in {secs} s.',
  notifications: 'Notifications', notifOn: 'On for this device', notifOff: 'Off for this device',
  notifTurnOn: 'Turn on notifications', notifTurnOff: 'Turn off on this device',
  notifPreview: 'Notifications show', previewFull: 'Sender and message', previewRoom: 'Only “New message” and the room',
  previewNone: 'Only “New message”', notifTest: 'Send a test notification', notifTestSent: 'Sent. It arrives in a few seconds.',
  notifDenied: 'This browser blocks notifications from Madang. Allow them in the site settings (the lock by the address), then come back here.',
  notifUnsupported: 'This browser cannot receive notifications. On an iPhone or iPad, add Madang to the Home Screen first and open it from there.',
  notifInsecure: 'Notifications need a secure connection (https). Ask the operator to serve Madang over https.',
  notifServerOff: 'This server does not send notifications.',
  notifMutedHint: 'Muted rooms notify only when someone mentions or replies to you. Mute a room from its menu.',
  err_endpoint_host_not_allowed: 'This server does not send notifications through that push service.',
  err_endpoint_private_address: 'That push service is on a private address this server does not send to.',
  err_endpoint_not_https: 'The push service must use https.',
  err_push_subscribe_failed: 'This browser could not reach its push service. Private windows cannot get notifications; try a normal window, or check the connection.',
};

/** @type {typeof en} */
const ko = {
  app: '마당', tagline: '내가 믿는 서버에서 만나는 채팅, 친구, 우리 동네.',
  login: '로그인', signup: '가입하기', logout: '로그아웃', handle: '아이디', password: '비밀번호',
  displayName: '이름', haveAccount: '이미 계정이 있나요? 로그인', noAccount: '처음이신가요? 가입하기',
  friends: '친구', chats: '채팅', openchat: '오픈채팅', pung: '펑', local: '로컬', more: '더보기',
  myProfile: '내 프로필', favourites: '즐겨찾기', birthdays: '오늘 생일인 친구', allFriends: '친구',
  addFriend: '친구 추가', addByHandle: '아이디로 추가', add: '추가', block: '차단', unblock: '차단 해제',
  favourite: '즐겨찾기', unfavourite: '즐겨찾기 해제', hide: '숨김', chat: '1:1 채팅', blocked: '차단한 친구',
  noFriends: '아직 친구가 없어요. 아이디로 친구를 추가해 보세요.', search: '검색',
  newGroup: '새 그룹채팅', groupTitle: '채팅방 이름', create: '만들기', cancel: '취소', members: '대화상대',
  noChats: '아직 채팅이 없어요. 친구 프로필에서 대화를 시작해 보세요.', typeMessage: '메시지 입력', send: '전송',
  attach: '파일 첨부', reply: '답장', react: '공감', edit: '수정', delete: '삭제', save: '저장',
  roomTools: '더보기',
  peek: '읽음 표시 없이 보기', peekAt: '{title} 읽음 표시 없이 보기', readNow: '읽음으로 표시',
  peeking: '읽음 표시 없이 보는 중 · 상대방의 1은 그대로예요.',
  folders: '폴더', folderAll: '전체', folderUnread: '안읽음', folderOpen: '오픈채팅', folderChannels: '채널',
  newFolder: '새 폴더', editFolder: '폴더 편집', deleteFolder: '폴더 삭제', folderName: '폴더 이름',
  folderRooms: '이 폴더의 채팅방 (최대 {n}개)', noChatsInView: '여기에는 채팅방이 없어요.',
  err_folder_limit: '만들 수 있는 폴더 수를 모두 채웠어요.', err_folder_rooms_limit: '폴더 하나에 넣을 수 있는 채팅방 수를 넘었어요.',
  err_invalid_folder_name: '폴더 이름은 1~20자예요.', err_folder_not_found: '폴더가 없어졌어요.',
  err_folder_order_mismatch: '그사이 폴더가 바뀌었어요. 다시 해 주세요.',
  deleted: '삭제된 메시지입니다.', hiddenByHost: '방장이 가린 메시지입니다.', edited: '수정됨', typing: '{name}님이 입력 중…',
  replyingTo: '{name}님에게 답장', loadingOlder: '이전 메시지 불러오는 중…', back: '뒤로',
  unreadBy: '{n}명 안 읽음', newMessages: '새 메시지', invite: '초대하기', leave: '나가기',
  mute: '알림 끄기', unmute: '알림 켜기', pin: '상단 고정', unpin: '고정 해제', muted: '알림 꺼짐',
  offline: '오프라인 — 다시 연결하는 중…', reconnecting: '다시 연결하는 중…',
  statusMessage: '상태메시지', birthday: '생일', avatar: '프로필 사진', changePhoto: '사진 바꾸기',
  devices: '로그인한 기기', thisDevice: '이 기기', revoke: '기기 로그아웃', language: '언어',
  saved: '저장했어요', lastSeen: '최근 접속 {time}',
  error: '문제가 생겼어요', file: '파일', image: '사진',
  newPung: '새 펑', myPung: '내 펑', addPung: '펑 올리기', pungTextKind: '글', pungPhotoKind: '사진',
  pungText: '지금 무슨 일이 있나요?', pungCaption: '설명', background: '배경', choosePhoto: '사진 선택',
  decorations: '꾸미기', addText: '텍스트', addSticker: '스티커', addPoll: '투표', addLink: '링크', addPlace: '장소',
  pollQuestion: '질문', pollOption: '선택지 {n}', linkUrl: '주소 (https://…)', linkLabel: '표시 이름',
  placeName: '장소 이름', latitude: '위도', longitude: '경도', useMyLocation: '내 위치 사용',
  layerText: '카드에 넣을 글', dragHint: '미리보기에서 꾸미기를 끌어 옮길 수 있어요.', remove: '빼기',
  audience: '공개 범위', audFriends: '친구 전체', audChosen: '선택한 친구만', audExcept: '선택한 친구 제외',
  audOnlyMe: '나만 보기', mutualNote: '펑은 서로 친구인 사람에게만 보여요.',
  duration: '사라지는 시간', hours: '{n}시간', tagFriends: '친구 태그 (최대 10명)', post: '올리기', posting: '올리는 중…',
  pungViewers: '본 사람', viewsReactions: '{v}명 봄 · {r}명 공감', noViewers: '아직 본 사람이 없어요.',
  replyToPung: '{name}님에게 답장…', replied: '답장을 보냈어요', deletePung: '펑 삭제', expiresIn: '{t} 후 사라짐',
  pungGone: '사라진 펑이에요.', repliedToPung: '펑에 답장', taggedYou: '{name}님이 펑에 태그했어요',
  youTagged: '{name}님을 펑에 태그했어요', noPungs: '지금은 친구의 펑이 없어요.',
  pungEmpty: '하루 뒤 사라지는 순간을 나눠 보세요.', vote: '{n}표', votes: '{n}표', previous: '이전', next: '다음',

  openSearch: '오픈채팅 검색 (예: 맛집, 등산)', categories: '카테고리', trendingToday: '오늘의 인기',
  recommendedForYou: '추천', myTopics: '관심사', editTopics: '편집', topicsHint: '해시태그나 카테고리를 띄어서 적어 주세요',
  newOpenChat: '오픈채팅 만들기', join: '참여하기', joined: '참여 중', openRoom: '채팅방 열기',
  joinAs: '프로필', nickname: '닉네임', realProfile: '내 실제 프로필', entryCode: '참여코드',
  nicknameNote: '다른 사람에게는 이 닉네임과 자동 그림만 보여요. 내 계정은 보이지 않아요.',
  noResults: '찾는 오픈채팅이 없어요.', becauseTopic: '#{tag} 관심사라서', becauseRoom: '{title} 참여자들이 많이 들어간 방',
  popularNow: '지금 인기', closeToYou: '관심사와 비슷한 방', hostedBy: '방장: {name}', full: '정원 마감', codeRequired: '참여코드', realOnly: '실제 프로필만',
  kindGroup: '그룹 채팅', kindOneOnOne: '1:1 채팅', kindProfile: '오픈 프로필', title: '채팅방 이름', description: '소개',
  hashtags: '해시태그', category: '카테고리', visibility: '공개 범위', visPublic: '누구나 (검색 허용)', visLink: '링크가 있는 사람만',
  memberCap: '참여 인원 제한', hostAs: '방장 프로필', link: '링크', copyLink: '링크 복사', hideMsg: '가리기', restore: '가리기 취소',
  kick: '내보내기', kickBan: '내보내고 차단', report: '신고', reported: '신고했어요', notice: '공지', pinNotice: '공지로 등록',
  unpinNotice: '공지 내리기', host: '방장', cohost: '부방장', makeCohost: '부방장 지정', bannedWords: '금칙어',
  closed: '종료된 오픈채팅이에요.', handOver: '방장 넘기기',
  err_banned: '이 오픈채팅방에서 내보내진 뒤 차단되었어요.', err_suspended: '오픈채팅 이용이 정지된 상태예요.',
  err_wrong_entry_code: '참여코드가 맞지 않아요.', err_real_profile_required: '실제 프로필로만 참여할 수 있는 방이에요.',
  err_room_full: '정원이 다 찼어요.', err_nickname_taken: '이 방에 같은 닉네임이 있어요.',
  err_invalid_nickname: '닉네임은 1–20자로 적어 주세요.', err_rate_limited: '시도가 너무 많아요. 잠시 후 다시 해 주세요.',
  sponsored: '광고', earnings: '수익', earningsTitle: '내 수익', balance: '지금까지 번 돈',
  byMonth: '월별', byRoom: '오픈채팅방별', noEarnings: '아직 수익이 없어요. 구독 상품을 만들거나 광고가 붙으면 여기에 보여요.',
  kind_subscription: '구독', kind_ad_impression: '광고 노출', kind_ad_click: '광고 클릭',
  subscriptions: '구독', subscribersOnly: '구독자 전용', subscribersOnlyNote: '구독 중인 사람만 들어올 수 있어요. 이미 있는 멤버는 그대로예요.',
  tiers: '구독 상품', tierName: '상품 이름', price: '가격', perDays: '{n}일마다', addTier: '상품 추가', retire: '판매 중지',
  subscribe: '구독하기', subscribed: '{date}까지 구독 중', renews: '자동 갱신', cancelSub: '구독 해지',
  testCard: '테스트 카드', cardOk: '결제되는 테스트 카드', cardDeclined: '거절되는 테스트 카드',
  testProviderNote: '이 서버는 테스트 결제로 받아요. 실제 돈은 오가지 않아요.',
  err_subscription_required: '구독 상품 중 하나를 구독해야 들어올 수 있어요.', err_payment_declined: '결제가 거절되었어요.',
  err_already_subscribed: '이미 구독 중이에요.', err_no_tiers: '먼저 구독 상품을 만들어 주세요.',
  err_invalid_price: '이 서버에서 정할 수 있는 가격 범위를 벗어났어요.', err_tier_retired: '판매가 끝난 상품이에요.',
  cover: '커버 이미지', removeCover: '커버 지우기', chatSettings: '오픈채팅방 설정', entryCodeKeep: '그대로 (바꾸려면 새 코드 입력)',
  entryCodeRemove: '참여코드 없애기', err_member_cap_below_members: '지금 참여 인원보다 적게 정할 수 없어요.',
  err_not_host: '방장만 할 수 있어요.',
  cityHall: '서울시청', hereNow: '지금 내 위치', myNeighbourhood: '우리 동네', setNeighbourhood: '여기를 우리 동네로',
  neighbourhoodSaved: '우리 동네로 저장했어요', noNeighbourhood: '아직 우리 동네가 없어요. 위치를 고른 뒤 “여기를 우리 동네로”를 눌러 주세요.',
  noGeolocation: '브라우저가 위치를 알려 주지 않았어요.', enterCoordinates: '좌표 입력', badCoordinates: '위도와 경도는 숫자로 적어 주세요.',
  allCategories: '전체 업종', radius: '반경', openNow: '영업 중', closedNow: '영업 종료', noShops: '이 근처에 가게가 없어요. 반경을 넓혀 보세요.',
  mapOf: '{r} 안의 가게 {n}곳 지도', youAreHere: '현재 위치', regular: '단골', becomeRegular: '단골 되기',
  regularsCount: '단골 {n}명', channel: '채널', openingHours: '영업시간', closedDay: '휴무', weekdays: '월,화,수,목,금,토,일',
  coupons: '쿠폰', noCoupons: '지금은 쿠폰이 없어요.', couponLeft: '{of}장 중 {n}장 남음', until: '{date}까지', regularsOnly: '단골 전용',
  claim: '받기', claimed: '받은 쿠폰', soldOut: '모두 소진', forTheShop: '가게 관리', customerCode: '손님 쿠폰 코드', redeem: '사용 처리',
  redeemed: '사용 처리했어요', issueCoupon: '쿠폰 발행', quantity: '발행 수량', perPerson: '1인당', validUntil: '사용 기한',
  myCoupons: '내 쿠폰', myBusiness: '내 비즈니스', noClaims: '아직 받은 쿠폰이 없어요. 가게 페이지에서 받아 보세요.', showCode: '가게에서 이 코드를 보여 주세요',
  usedOn: '{date} 사용', expired: '기한 만료',
  whatToReceive: '받을 메시지', consentInformational: '정보성 알림', consentInformationalHint: ' — 주문, 예약, 요청한 소식',
  consentMarketing: '광고', consentMarketingHint: ' — 혜택과 이벤트, (광고) 표시', consentNight: '야간 광고',
  consentNightHint: ' — 21:00부터 08:00까지', addChannel: '채널 추가', removeChannel: '채널 삭제', channelFriends: '친구 {n}명',
  posts: '소식', noPosts: '아직 소식이 없어요.', optOut: '광고 수신거부', optedOut: '이 채널의 광고를 받지 않아요.',
  noBusiness: '아직 운영하는 비즈니스가 없어요.', owner: '대표', agent: '상담원', agents: '상담원', addAgent: '상담원 추가',
  channels: '채널', noChannels: '아직 채널이 없어요.', newChannel: '채널 만들기', shops: '가게', noShopsYet: '아직 가게가 없어요.', newShop: '가게 추가',
  address: '주소', opensAt: '여는 시간', closesAt: '닫는 시간', closedOn: '휴무일', newBusiness: '비즈니스 시작하기',
  inbox: '상담', campaigns: '메시지 발송', pickConversation: '대화를 골라 주세요.', status: '상태', allConversations: '모든 대화',
  statusOpen: '진행 중', statusClosed: '종료', status_idle: '시작 전', status_open: '진행 중', status_closed: '종료',
  assignedToMe: '내 담당', assigned: '담당자 있음', assignToMe: '내가 담당', closeConversation: '상담 종료', noConversations: '대화가 없어요.',
  answerAsChannel: '채널 이름으로 답하기',
  newCampaign: '새 메시지', campaignName: '이름 (나만 봐요)', campaignKind: '종류', informational: '정보성', advertising: '광고',
  template: '내용', templateHint: '#{name}님 안녕하세요! … (#{channel}과 직접 정한 #{변수})', variables: '값 (한 줄에 키=값)',
  perPersonValues: '사람마다 다른 값 (속성 이름)', segment: '받는 사람', regularsOf: '단골인 가게', everyFriend: '채널 친구 전체',
  radiusMetres: '위치에서 반경 (미터)', anywhere: '어디든', tags: '태그', sendAt: '보낼 시각 (비우면 지금)', preview: '미리보기',
  sendCampaign: '보내기', charsOf: '{max}자 중 {n}자', noCampaigns: '아직 보낸 메시지가 없어요.', progress: '진행률',
  stat_targeted: '대상', stat_delivered: '전달', stat_read: '읽음', stat_deferred: '08:00로 미룸', stat_waiting: '아침 대기',
  stat_opted_out: '수신 거부', stat_skipped: '제외',
  camp_scheduled: '예약됨', camp_sending: '보내는 중', camp_waiting: '아침 대기', camp_done: '완료', camp_cancelled: '취소됨',
  skip_no_consent: '수신 동의 없음', skip_informational_refused: '알림 거부', skip_daily_limit: '오늘 이미 광고 받음',
  skip_missing_variable: '값 없음', skip_too_long: '너무 김', skip_unsubscribed: '채널 삭제',
  rewriteCopy: '✨ 받는 사람마다 다듬기 (서버 AI)', rewriteHint: '값은 적은 그대로 들어가요. 모델이 값을 바꾸거나 길어지면 그 사람에게는 적은 그대로 보내요.',
  sampleValues: '이런 사람으로 미리보기 (한 줄에 속성=값)', reworded: '✨ 다듬음', asWritten: '적은 그대로',
  stat_rewritten: '다듬음', stat_fell_back: '적은 그대로',
  fb_dropped_value: '값이 바뀜', fb_too_long: '너무 김', fb_forbidden_text: '표시 문구를 직접 씀', fb_echoed_prompt: '지시문을 되풀이함', fb_unchanged: '바꾼 게 없음', fb_empty: '빈 답',
  fb_model_off: '모델 없음', fb_variant_cap: '경우가 너무 많음', fb_not_ready: '준비 안 됨', fb_model_error: '모델 오류',
  fb_missing_variable: '값 없음',
  cat_restaurant: '음식점', cat_cafe: '카페', cat_bakery: '빵집', cat_bar: '술집', cat_grocery: '식료품', cat_convenience: '편의점',
  cat_pharmacy: '약국', cat_beauty: '미용', cat_fitness: '운동', cat_clothing: '옷가게', cat_books: '서점', cat_flowers: '꽃집',
  cat_pets: '반려동물', cat_laundry: '세탁', cat_services: '서비스', cat_other: '기타',
  searchMessages: '메시지 검색', noMessagesFound: '찾는 메시지가 없어요.', clearSearch: '검색 닫기', moreResults: '결과 더 보기',
  oc_cat_friends: '친구', oc_cat_hobby: '취미', oc_cat_travel: '여행', oc_cat_food: '맛집·요리', oc_cat_sports: '스포츠',
  oc_cat_outdoors: '아웃도어', oc_cat_study: '공부', oc_cat_career: '커리어', oc_cat_tech: 'IT·테크', oc_cat_games: '게임',
  oc_cat_music: '음악', oc_cat_movies: '영화', oc_cat_books: '책', oc_cat_art: '미술', oc_cat_pets: '반려동물',
  oc_cat_parenting: '육아', oc_cat_fashion: '패션', oc_cat_beauty: '뷰티', oc_cat_finance: '재테크',
  oc_cat_health: '건강', oc_cat_local: '동네', oc_cat_fandom: '팬덤',
  err_regulars_only: '단골 전용 쿠폰이에요. 먼저 단골이 되어 주세요.', err_coupon_exhausted: '쿠폰이 모두 소진되었어요.',
  err_claim_limit: '한 사람이 받을 수 있는 만큼 이미 받았어요.', err_already_redeemed: '이미 사용한 쿠폰이에요.',
  err_channel_removed: '이 분이 채널을 삭제해서 더 이상 메시지를 보낼 수 없어요.',
  err_coupon_expired: '기한이 지난 쿠폰이에요.', err_coupon_not_started: '아직 받을 수 없는 쿠폰이에요.',
  err_unknown_variable: '정의하지 않은 값을 쓰고 있어요.', err_unused_variable: '정의한 값 중에 내용에 쓰이지 않은 것이 있어요.',
  err_too_long: '값을 채우면 내용이 너무 길어요.', err_night_needs_marketing: '야간 광고는 광고 수신에 동의해야 받을 수 있어요.',
  close: '닫기', justNow: '방금', minutesAgo: '{n}분 전', hoursAgo: '{n}시간 전', open: '열기',
  summary: '요약', summariseUnread: '안 읽은 메시지 요약', summarising: '요약하는 중…',
  summaryOf: '메시지 {n}개를 요약하는 중…', summaryProgress: '{of}개 중 {done}번째 부분을 읽는 중…', summaryDone: '놓친 대화 요약',
  nothingUnread: '여기서는 모두 읽었어요.', summariseLatest: '최근 메시지 {n}개 요약',
  addAssistant: '도우미 추가', removeAssistant: '도우미 내보내기', askAssistant: '메시지 입력 — @{name}에게 물어보세요',
  aiFailed: '잘 되지 않았어요. 잠시 후에 다시 해 보세요.',
  err_feature_off: '이 서버에서는 쓸 수 없는 기능이에요.', err_ai_busy: '서버의 모델이 바빠요. 잠시 후에 다시 해 보세요.',
  err_not_a_group: '그룹채팅에서만 할 수 있어요.',
  err_delete_window_passed: '모두에게서 삭제할 수 있는 시간이 지났어요.',
  err_edit_window_passed: '수정할 수 있는 시간이 지났어요.',
  screening: '스팸 거르기', screeningMode: '검토 전까지 가릴 것', screening_off: '끄기: 금지어와 도배 제한만',
  screening_model: '알려진 스팸과 비슷한 글 가리기', screening_strict: '새로 온 사람의 링크도 보류',
  modelSignalOn: '이 서버는 운영자가 표시한 스팸과 메시지를 비교해요.',
  modelSignalOff: '이 서버는 스팸 예시와 비교하지 않아요. 새로 온 사람의 링크만 보류해요 (엄격).',
  heldForReview: '검토 대기', nothingHeld: '검토할 메시지가 없어요.',
  flag_like_spam: '스팸과 비슷함', flag_newcomer_link: '새로 온 사람의 링크', showAgain: '다시 보이기', keepHidden: '계속 가리기',
  err_flag_not_found: '이 메시지는 더 이상 검토 대기 중이 아니에요.',
  err_banned_word: '이 방에서는 ‘{word}’ 단어를 쓸 수 없어요.',
  err_flooding_same_text: '같은 메시지를 여러 번 보냈어요. {secs}초 뒤에 다시 보내 주세요.',
  err_flooding_links: '1분 동안 링크를 너무 많이 보냈어요. {secs}초 뒤에 다시 보내 주세요.',
  notifications: '알림', notifOn: '이 기기에서 켜짐', notifOff: '이 기기에서 꺼짐',
  notifTurnOn: '알림 켜기', notifTurnOff: '이 기기에서 알림 끄기',
  notifPreview: '알림에 보일 내용', previewFull: '보낸 사람과 메시지', previewRoom: '‘새 메시지’와 채팅방 이름만',
  previewNone: '‘새 메시지’만', notifTest: '테스트 알림 보내기', notifTestSent: '보냈어요. 몇 초 안에 도착해요.',
  notifDenied: '이 브라우저가 마당의 알림을 막고 있어요. 주소창의 자물쇠 버튼에서 알림을 허용한 뒤 다시 와 주세요.',
  notifUnsupported: '이 브라우저는 알림을 받을 수 없어요. 아이폰·아이패드에서는 먼저 마당을 홈 화면에 추가하고 거기서 열어 주세요.',
  notifInsecure: '알림은 보안 연결(https)에서만 돼요. 운영자에게 https로 열어 달라고 해 주세요.',
  notifServerOff: '이 서버는 알림을 보내지 않아요.',
  notifMutedHint: '알림을 끈 채팅방은 나를 언급하거나 내 메시지에 답장할 때만 알려요. 채팅방 메뉴에서 알림을 끌 수 있어요.',
  err_endpoint_host_not_allowed: '이 서버는 그 푸시 서비스로 알림을 보내지 않아요.',
  err_endpoint_private_address: '그 푸시 서비스는 이 서버가 보내지 않는 내부 주소에 있어요.',
  err_endpoint_not_https: '푸시 서비스는 https를 써야 해요.',
  err_push_subscribe_failed: '이 브라우저가 푸시 서비스에 연결하지 못했어요. 시크릿 창에서는 알림을 받을 수 없어요. 일반 창에서 하거나 연결을 확인해 주세요.',
};

const strings = { en, ko };

/** @returns {'en' | 'ko'} */
function initial() {
  const saved = localStorage.getItem('madang.lang');
  if (saved === 'en' || saved === 'ko') return saved;
  return navigator.language.toLowerCase().startsWith('ko') ? 'ko' : 'en';
}

let lang = initial();

export function currentLang() {
  return lang;
}

/** @param {'en' | 'ko'} next */
export function setLang(next) {
  lang = next;
  localStorage.setItem('madang.lang', next);
  document.documentElement.lang = next;
}

/** A refusal's stable code in words (with the limit it names, the word
 * and the wait), or the server's own message.
 * @param {{code?: string, message: string, reason?: string, word?: string, retryAfterMs?: number}} err */
export function errorText(err) {
  const specific = `err_${err.code}_${err.reason}`;
  const key = /** @type {keyof typeof en} */ (err.reason && specific in en ? specific : `err_${err.code}`);
  if (!(key in en)) return err.message;
  /** @type {Record<string, string | number>} */
  const vars = {};
  if (err.word) vars.word = err.word;
  if (err.retryAfterMs) vars.secs = Math.ceil(err.retryAfterMs / 1000);
  const text = t(key, vars);
  // A value the words need but the refusal lacks: the server's message says it.
  return /\{\w+\}/.test(text) ? err.message : text;
}

/**
 * @param {keyof typeof en} key
 * @param {Record<string, string | number>} [vars]
 */
export function t(key, vars = {}) {
  let s = strings[lang][key] ?? en[key] ?? key;
  for (const [k, v] of Object.entries(vars)) s = s.replace(`{${k}}`, String(v));
  return s;
}

document.documentElement.lang = lang;

/** An open chat's category in the person's language. @param {string} c */
export const openChatCategory = (c) => t(/** @type {any} */ (`oc_cat_${c}`));

/** An amount in minor units of `currency`, in the person's language. @param {number} amount @param {string} currency */
export function money(amount, currency) {
  const format = new Intl.NumberFormat(lang === 'ko' ? 'ko-KR' : 'en', { style: 'currency', currency });
  const digits = format.resolvedOptions().maximumFractionDigits ?? 0;
  return format.format(amount / 10 ** digits);
}

/** Shows why something failed in `el`, with the server's code as `data-code`. @param {HTMLElement} el @param {unknown} err */
export function showError(el, err) {
  const code = /** @type {any} */ (err)?.code;
  el.textContent = typeof code === 'string' ? errorText(/** @type {any} */ (err)) : String(err);
  el.setAttribute('data-code', typeof code === 'string' ? code : 'error');
}
