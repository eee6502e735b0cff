/** Korean: every text members see from Renkei. */
import type { Catalog, DecisionCatalog } from './types.ts';

/** The decision buttons' labels; the decision feedback texts quote them. */
const decisionLabels: DecisionCatalog['labels'] = {
  APPROVE: '승인',
  REJECT: '반려',
  RETURN: '보완 요청',
};

export const ko: Catalog = {
  lang: 'ko',
  notification: {
    types: {
      APPROVAL_REQUESTED: {
        heading: '결재 요청',
        summary: '결재 요청이 도착했습니다. 내용을 확인해 주세요.',
        actor: '기안자',
      },
      APPROVED: { heading: '승인', summary: '문서가 승인되었습니다.', actor: '결재자' },
      REJECTED: { heading: '반려', summary: '문서가 반려되었습니다.', actor: '반려자' },
      RETURNED: {
        heading: '보완 요청',
        summary: '문서가 보완 요청으로 되돌아왔습니다. 수정 후 다시 상신해 주세요.',
        actor: '요청자',
      },
      COMPLETED: { heading: '결재 완료', summary: '결재가 완료되었습니다.', actor: '최종 결재자' },
      COMMENTED: {
        heading: '의견 등록',
        summary: '문서에 새 의견이 등록되었습니다.',
        actor: '작성자',
      },
      CIRCULATED: {
        heading: '회람',
        summary: '참고용으로 문서가 회람되었습니다.',
        actor: '기안자',
      },
      WITHDRAWN: {
        heading: '회수',
        summary: '결재 대기 중이던 문서가 회수되었습니다. 별도 조치는 필요하지 않습니다.',
        actor: '기안자',
      },
      REMINDER: {
        heading: '결재 대기 알림',
        summary: '결재를 기다리는 문서가 있습니다. 확인해 주세요.',
        actor: '기안자',
      },
    },
    test: {
      heading: '테스트 알림',
      summary: 'WORKPLACE 알림이 이곳으로 전달되는지 확인하기 위한 테스트 메시지입니다.',
      actor: '보낸 사람',
    },
    comment: '의견',
    buttonLabel: '문서 열기',
    source: 'WORKPLACE 워크플로',
    separator: ': ',
  },
  digest: {
    heading: '알림 모음 ({n}건)',
    summary: '모아서 보내 드리는 알림입니다. 최신순으로 표시합니다.',
    more: '외 {n}건',
    buttonLabel: '모두 보기',
    pageTitle: '알림 모음',
  },
  decision: {
    labels: decisionLabels,
    displayText: { APPROVE: '승인합니다', REJECT: '반려합니다', RETURN: '보완 요청합니다' },
    modal: {
      title: '의견',
      submit: '보내기',
      close: '취소',
      commentLabel: '의견 (선택)',
      hint: '기안자에게 전할 이유를 적을 수 있습니다.',
    },
    received: (a) => `「${decisionLabels[a]}」을(를) 접수했습니다. WORKPLACE로 보내는 중입니다.`,
    accepted: (a) => `「${decisionLabels[a]}」이(가) WORKPLACE에 반영되었습니다.`,
    refused: (a, reason) =>
      `「${decisionLabels[a]}」이(가) WORKPLACE에서 거부되었습니다: ${reason}`,
    failed: (a) =>
      `「${decisionLabels[a]}」을(를) WORKPLACE에 전달하지 못했습니다. WORKPLACE에서 처리하거나 관리자에게 문의해 주세요.`,
    alreadyDecided: (a, at) =>
      `이 요청에는 ${at}에 「${decisionLabels[a]}」(으)로 이미 응답했습니다.`,
    closed: '이 요청은 이미 마감되었습니다.',
    notAllowed: '이 요청의 수신자만 응답할 수 있습니다.',
    invalid: '유효하지 않은 버튼입니다. WORKPLACE에서 처리해 주세요.',
  },
  linePage: {
    title: 'LINE 연동',
    linked: '연동이 완료되었습니다. WORKPLACE 알림이 LINE으로 전송됩니다.',
    pendingFriend: '거의 다 되었습니다. 회사 LINE 공식 계정을 친구 추가하면 연동이 완료됩니다.',
    scan: 'LINE 앱으로 QR 코드를 스캔하여 친구 추가해 주세요.',
    openOnPhone: '스마트폰에서는 이 링크를 열어 주세요',
    qrAlt: '친구 추가용 QR 코드',
    expired: '이미 사용되었거나 유효 기간(10분)이 지난 링크입니다.',
    invalid: '올바르지 않은 링크입니다.',
    denied: 'LINE 로그인이 취소되었습니다. 연동은 변경되지 않았습니다.',
    failed: 'LINE 로그인을 확인할 수 없습니다. 연동은 변경되지 않았습니다.',
    notConfigured: '이 회사에서는 LINE 연동이 활성화되어 있지 않습니다. 관리자에게 문의해 주세요.',
    taken: '이 LINE 계정은 다른 멤버에게 연동되어 있습니다.',
    again: 'WORKPLACE 내 정보에서 다시 「인증」을 눌러 주세요.',
  },
  lineLinkCompleted:
    '친구 추가가 완료되었습니다. WORKPLACE 워크플로 알림을 이 계정으로 보내 드립니다.',
  lineWorksBot: {
    botName: 'WORKPLACE 알림',
    description: 'WORKPLACE 워크플로 알림(결재 요청, 승인, 반려 등)을 전달합니다.',
  },
};
