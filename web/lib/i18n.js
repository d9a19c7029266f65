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
  deleted: 'This message was deleted.', edited: 'edited', typing: '{name} is typing…',
  replyingTo: 'Replying to {name}', loadingOlder: 'Loading earlier messages…', back: 'Back',
  unreadBy: '{n} unread', newMessages: 'New messages', invite: 'Invite', leave: 'Leave',
  mute: 'Mute', unmute: 'Unmute', pin: 'Pin', unpin: 'Unpin', muted: 'Muted',
  offline: 'Offline — reconnecting…', reconnecting: 'Reconnecting…',
  statusMessage: 'Status message', birthday: 'Birthday', avatar: 'Profile photo', changePhoto: 'Change photo',
  devices: 'Devices', thisDevice: 'This device', revoke: 'Log out device', language: 'Language',
  saved: 'Saved', lastSeen: 'Last active {time}',
  comingOpenchat: 'Open Chat — interest communities with anonymous profiles — is not on this server yet.',
  comingPung: 'Pung — 24-hour moments for chosen friends — is not on this server yet.',
  comingLocal: 'Local shops and business channels are not on this server yet.',
  error: 'Something went wrong', file: 'File', image: 'Photo',
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
  deleted: '삭제된 메시지입니다.', edited: '수정됨', typing: '{name}님이 입력 중…',
  replyingTo: '{name}님에게 답장', loadingOlder: '이전 메시지 불러오는 중…', back: '뒤로',
  unreadBy: '{n}명 안 읽음', newMessages: '새 메시지', invite: '초대하기', leave: '나가기',
  mute: '알림 끄기', unmute: '알림 켜기', pin: '상단 고정', unpin: '고정 해제', muted: '알림 꺼짐',
  offline: '오프라인 — 다시 연결하는 중…', reconnecting: '다시 연결하는 중…',
  statusMessage: '상태메시지', birthday: '생일', avatar: '프로필 사진', changePhoto: '사진 바꾸기',
  devices: '로그인한 기기', thisDevice: '이 기기', revoke: '기기 로그아웃', language: '언어',
  saved: '저장했어요', lastSeen: '최근 접속 {time}',
  comingOpenchat: '관심사로 모이는 오픈채팅은 아직 이 서버에 없어요.',
  comingPung: '친구에게만 24시간 보이는 펑은 아직 이 서버에 없어요.',
  comingLocal: '동네 가게와 채널은 아직 이 서버에 없어요.',
  error: '문제가 생겼어요', file: '파일', image: '사진',
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
