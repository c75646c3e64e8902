import request from 'supertest';
import { listAudit } from '../../../shared/audit';
import {
  makeSeller,
  makeTeamMember,
  oauthDance,
  signIn,
  startSellerApp,
  type AuthTestEnv,
  type TestSession,
} from '../../../../test/support/auth';

describe('seller teams', () => {
  let env: AuthTestEnv;
  let admin: TestSession;
  let seller: TestSession;

  beforeAll(async () => {
    ({ env, admin, seller } = await startSellerApp('team-seller@example.test', { name: 'Team Seller' }));
  });
  afterAll(async () => {
    await env.close();
  });

  it('when a seller invites an email and that person signs in, then they are an active MANAGER of that seller', async () => {
    const invited = await seller
      .post('/api/v1/team/members')
      .send({ email: '  Gate.Keeper@Example.TEST ', role: 'MANAGER' });
    expect(invited.status).toBe(201);
    expect(invited.body).toMatchObject({
      email: 'gate.keeper@example.test',
      role: 'MANAGER',
      status: 'INVITED',
      userId: null,
      campaignIds: [],
    });

    const event = await env.platform.prisma.outboxMessage.findFirst({
      where: { eventName: 'team.member.invited' },
      orderBy: { createdAt: 'desc' },
    });
    expect((event!.payload as { payload: unknown }).payload).toEqual({
      memberId: invited.body.id,
      sellerId: seller.userId,
      email: 'gate.keeper@example.test',
      role: 'MANAGER',
    });

    const member = await signIn(env, 'gate.keeper@example.test', { name: 'Gate Keeper' });
    const profile = (await member.profile()) as unknown as {
      roles: string[];
      memberships: Array<Record<string, unknown>>;
    };
    expect(profile.roles).toEqual(['CUSTOMER', 'MANAGER']);
    expect(profile.memberships).toEqual([
      expect.objectContaining({
        id: invited.body.id,
        sellerId: seller.userId,
        sellerName: 'Team Seller',
        role: 'MANAGER',
        status: 'ACTIVE',
        campaignIds: [],
      }),
    ]);

    const team = await seller.get('/api/v1/team/members').expect(200);
    expect(team.body).toEqual({
      items: [
        expect.objectContaining({
          id: invited.body.id,
          status: 'ACTIVE',
          userId: member.userId,
          name: 'Gate Keeper',
        }),
      ],
      nextCursor: null,
    });
  });

  it('when a seller assigns campaigns to a manager, then the manager’s actor carries exactly those campaigns', async () => {
    const member = await makeTeamMember(env, seller, 'scanner@example.test', 'MANAGER');
    const first = await seller
      .post(`/api/v1/team/members/${member.memberId}/campaigns`)
      .send({ campaignIds: ['camp-b', 'camp-a', 'camp-a'] })
      .expect(200);
    expect(first.body.campaignIds).toEqual(['camp-a', 'camp-b']);
    const second = await seller
      .post(`/api/v1/team/members/${member.memberId}/campaigns`)
      .send({ campaignIds: ['camp-c', 'camp-a'] })
      .expect(200);
    expect(second.body.campaignIds).toEqual(['camp-a', 'camp-c']);
    const profile = (await member.profile()) as unknown as { memberships: Array<{ campaignIds: string[] }> };
    expect(profile.memberships[0]!.campaignIds).toEqual(['camp-a', 'camp-c']);
    const audit = await listAudit(env.platform.prisma, {
      targetType: 'team_member',
      targetId: member.memberId,
    });
    expect(audit.map((a) => a.action)).toEqual([
      'team_member.invite',
      'team_member.assign_campaigns',
      'team_member.assign_campaigns',
    ]);
    expect(audit[2]).toMatchObject({
      actorId: seller.userId,
      before: { campaignIds: ['camp-a', 'camp-b'] },
      after: { campaignIds: ['camp-a', 'camp-c'] },
    });
  });

  it('when a member is removed, then their very next request (same session) has lost the role', async () => {
    const finance = await makeTeamMember(env, seller, 'money@example.test', 'FINANCE');
    expect((await finance.profile()).roles).toEqual(['CUSTOMER', 'FINANCE']);

    await seller.delete(`/api/v1/team/members/${finance.memberId}`).expect(204);

    const after = (await finance.profile()) as unknown as { roles: string[]; memberships: unknown[] };
    expect(after.roles).toEqual(['CUSTOMER']);
    expect(after.memberships).toEqual([]);
    const audit = await listAudit(env.platform.prisma, {
      targetType: 'team_member',
      targetId: finance.memberId,
    });
    expect(audit.at(-1)).toMatchObject({
      action: 'team_member.remove',
      before: { role: 'FINANCE', status: 'ACTIVE' },
      after: null,
    });
    const removed = await env.platform.prisma.outboxMessage.findFirst({
      where: { eventName: 'team.member.removed' },
      orderBy: { createdAt: 'desc' },
    });
    expect((removed!.payload as { payload: unknown }).payload).toEqual({
      memberId: finance.memberId,
      sellerId: seller.userId,
      userId: finance.userId,
      role: 'FINANCE',
    });
    await seller.delete(`/api/v1/team/members/${finance.memberId}`).expect(404);
  });

  it('when another seller tries to read or change this seller’s members, then they see only their own team and get 404', async () => {
    const member = await makeTeamMember(env, seller, 'loyal@example.test', 'MANAGER');
    const rival = await makeSeller(env, 'rival-seller@example.test', { admin });
    const rivalTeam = await rival.get('/api/v1/team/members').expect(200);
    expect(rivalTeam.body.items).toEqual([]);
    const del = await rival.delete(`/api/v1/team/members/${member.memberId}`);
    expect(del.status).toBe(404);
    expect(del.body.error.code).toBe('MEMBER_NOT_FOUND');
    await rival
      .post(`/api/v1/team/members/${member.memberId}/campaigns`)
      .send({ campaignIds: ['x'] })
      .expect(404);
    expect((await member.profile()).roles).toContain('MANAGER');
  });

  it('when the invitation is a duplicate, for oneself, or badly formed, then 409, 422 and 400', async () => {
    await seller
      .post('/api/v1/team/members')
      .send({ email: 'dupe@example.test', role: 'FINANCE' })
      .expect(201);
    const dupe = await seller
      .post('/api/v1/team/members')
      .send({ email: 'DUPE@example.test', role: 'FINANCE' });
    expect([dupe.status, dupe.body.error.code]).toEqual([409, 'MEMBER_EXISTS']);
    await seller
      .post('/api/v1/team/members')
      .send({ email: 'dupe@example.test', role: 'MANAGER' })
      .expect(201);
    const self = await seller
      .post('/api/v1/team/members')
      .send({ email: 'team-seller@example.test', role: 'MANAGER' });
    expect([self.status, self.body.error.code]).toEqual([422, 'CANNOT_ADD_SELF']);
    const bad = await seller.post('/api/v1/team/members').send({ email: 'nope', role: 'OWNER' });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details.map((d: { field: string }) => d.field).sort()).toEqual(['email', 'role']);
  });

  it('when campaigns are assigned to a FINANCE member or with bad ids, then 422 NOT_A_MANAGER and 400', async () => {
    const invited = await seller
      .post('/api/v1/team/members')
      .send({ email: 'books@example.test', role: 'FINANCE' })
      .expect(201);
    const res = await seller
      .post(`/api/v1/team/members/${invited.body.id}/campaigns`)
      .send({ campaignIds: ['c1'] });
    expect([res.status, res.body.error.code]).toEqual([422, 'NOT_A_MANAGER']);
    const bad = await seller
      .post(`/api/v1/team/members/${invited.body.id}/campaigns`)
      .send({ campaignIds: ['ok', 'has spaces', 7] });
    expect(bad.status).toBe(400);
    await seller
      .post(`/api/v1/team/members/${invited.body.id}/campaigns`)
      .send({ campaignIds: 'c1' })
      .expect(400);
  });

  it('when a signed-in person is invited, then the invitation waits on their profile and is accepted at their next sign-in', async () => {
    const person = await signIn(env, 'later@example.test');
    await seller
      .post('/api/v1/team/members')
      .send({ email: 'later@example.test', role: 'MANAGER' })
      .expect(201);
    const before = (await person.profile()) as unknown as {
      roles: string[];
      pendingInvitations: Array<{ sellerName: string }>;
    };
    expect(before.roles).toEqual(['CUSTOMER']);
    expect(before.pendingInvitations).toEqual([
      expect.objectContaining({ sellerName: 'Team Seller', role: 'MANAGER', status: 'INVITED' }),
    ]);
    const again = await signIn(env, 'later@example.test');
    expect((await again.profile()).roles).toEqual(['CUSTOMER', 'MANAGER']);
  });

  it('when an unverified account signs in with an invited email, then the invitation stays unaccepted', async () => {
    const invited = await seller
      .post('/api/v1/team/members')
      .send({ email: 'impostor@example.test', role: 'FINANCE' })
      .expect(201);
    const dance = await oauthDance(env, 'impostor@example.test', { emailVerified: false });
    expect(dance.location).toContain('signInError=EMAIL_NOT_VERIFIED');
    const row = await env.platform.prisma.teamMember.findUniqueOrThrow({ where: { id: invited.body.id } });
    expect(row.status).toBe('INVITED');
  });

  describe('team page', () => {
    it('when the seller uses the team page forms, then members are invited, given campaigns and removed', async () => {
      const page = await seller.get('/team').set('Accept', 'text/html').expect(200);
      expect(page.text).toContain('Add a member');
      await seller
        .post('/team/members')
        .type('form')
        .send({ _csrf: seller.csrfToken, email: 'pageinvite@example.test', role: 'MANAGER' })
        .expect(303);
      const list = await seller.get('/team').set('Accept', 'text/html').expect(200);
      expect(list.text).toContain('Invited pageinvite@example.test as gate manager.');
      const id = new RegExp(
        `data-member-id="([0-9a-f-]{36})">\\s*<td data-label="Member"><span><span class="muted">pageinvite@example.test</span><br><span class="muted">Not signed in yet`,
      ).exec(list.text)?.[1];
      expect(id).toBeDefined();
      await seller
        .post(`/team/members/${id}/campaigns`)
        .type('form')
        // Checkboxes: each ticked campaign is one campaignIds field.
        .send(`_csrf=${encodeURIComponent(seller.csrfToken)}&campaignIds=c-1&campaignIds=c-2&campaignIds=c-3`)
        .expect(303);
      const assigned = () =>
        env.platform.prisma.teamMemberCampaign.findMany({
          where: { memberId: id },
          orderBy: { campaignId: 'asc' },
        });
      expect((await assigned()).map((r) => r.campaignId)).toEqual(['c-1', 'c-2', 'c-3']);
      await seller
        .post(`/team/members/${id}/campaigns`)
        .type('form')
        .send({ _csrf: seller.csrfToken, campaignIds: 'c-2' })
        .expect(303);
      expect((await assigned()).map((r) => r.campaignId)).toEqual(['c-2']);
      // Nothing ticked sends no field: the member keeps no campaign.
      await seller
        .post(`/team/members/${id}/campaigns`)
        .type('form')
        .send({ _csrf: seller.csrfToken })
        .expect(303);
      expect(await assigned()).toEqual([]);
      await seller
        .post(`/team/members/${id}/remove`)
        .type('form')
        .send({ _csrf: seller.csrfToken })
        .expect(303);
      expect(await env.platform.prisma.teamMember.count({ where: { id } })).toBe(0);
    });

    it('when a customer opens the team page, then 403; when signed out, then they are sent to sign in', async () => {
      const customer = await signIn(env, 'not-a-seller@example.test');
      await customer.get('/team').set('Accept', 'text/html').expect(403);
      const anon = await request(env.url).get('/team').set('Accept', 'text/html').expect(303);
      expect(anon.headers.location).toBe('/api/v1/auth/google?returnTo=%2Fteam');
    });
  });
});
