package openstack_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gophercloud/gophercloud/v2"

	"github.com/opengovcloud/govcloud/adapters/openstack"
	govcloud "github.com/opengovcloud/govcloud/provider"
)

// fakeCloud answers the OpenStack APIs the adapter uses (Keystone v3, Nova
// v2.1, Cinder v3, Neutron v2.0) with bodies in the real APIs' format, keeps
// state, and lets servers build (BUILD → ACTIVE after 30 minutes) and
// volumes get created or extended (5 minutes) on the injected clock.
type fakeCloud struct {
	t     testing.TB
	clock interface{ Now() time.Time }

	mu       sync.Mutex
	n        int
	projects map[string]*fProject
	servers  map[string]*fServer
	volumes  map[string]*fVolume
	networks map[string]*fNetwork
	fail503  int  // the next n requests answer 503
	hang     bool // the next request hangs until its client goes away
	// postFault, when > 0, counts down POSTs; the POST that reaches 0
	// answers postStatus, after doing its work when postDone.
	postFault  int
	postStatus int
	postDone   bool
	requests   []string
}

type fProject struct {
	ID, Name, Domain, Description string
	Tags                          []string
	Cores, RAM, Instances         int
	Gigabytes, Volumes            int
	Networks                      int
}

type fServer struct {
	ID, Name, Project, Flavor string
	Created, Deleted          time.Time
}

type fVolume struct {
	ID, Name, Project string
	Size              int
	Created, Ready    time.Time
	Deleted           bool
}

type fNetwork struct{ ID, Name, Project string }

func newFakeCloud(t testing.TB, clock interface{ Now() time.Time }) (*fakeCloud, *httptest.Server) {
	f := &fakeCloud{t: t, clock: clock, projects: map[string]*fProject{}, servers: map[string]*fServer{},
		volumes: map[string]*fVolume{}, networks: map[string]*fNetwork{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /identity/v3/projects", f.listProjects)
	mux.HandleFunc("POST /identity/v3/projects", f.createProject)
	mux.HandleFunc("PATCH /identity/v3/projects/{id}", f.updateProject)
	mux.HandleFunc("DELETE /identity/v3/projects/{id}", f.deleteProject)
	mux.HandleFunc("PUT /compute/v2.1/os-quota-sets/{id}", f.computeQuota)
	mux.HandleFunc("GET /compute/v2.1/servers/detail", f.listServers)
	mux.HandleFunc("POST /compute/v2.1/servers", f.createServer)
	mux.HandleFunc("DELETE /compute/v2.1/servers/{id}", f.deleteServer)
	mux.HandleFunc("GET /compute/v2.1/os-simple-tenant-usage/{id}", f.usage)
	mux.HandleFunc("PUT /volume/v3/os-quota-sets/{id}", f.volumeQuota)
	mux.HandleFunc("GET /volume/v3/volumes/detail", f.listVolumes)
	mux.HandleFunc("POST /volume/v3/volumes", f.createVolume)
	mux.HandleFunc("POST /volume/v3/volumes/{id}/action", f.volumeAction)
	mux.HandleFunc("DELETE /volume/v3/volumes/{id}", f.deleteVolume)
	mux.HandleFunc("PUT /network/v2.0/quotas/{id}", f.networkQuota)
	mux.HandleFunc("GET /network/v2.0/networks", f.listNetworks)
	mux.HandleFunc("POST /network/v2.0/networks", f.createNetwork)
	mux.HandleFunc("DELETE /network/v2.0/networks/{id}", f.deleteNetwork)
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		f.requests = append(f.requests, r.Method+" "+r.URL.Path)
		hang := f.hang
		f.hang = false
		fail := f.fail503 > 0
		if fail {
			f.fail503--
		}
		f.mu.Unlock()
		if hang {
			<-r.Context().Done()
			return
		}
		if !fail && r.Method == http.MethodPost {
			f.mu.Lock()
			if f.postFault > 0 {
				f.postFault--
				if f.postFault == 0 {
					status, done := f.postStatus, f.postDone
					if done {
						mux.ServeHTTP(httptest.NewRecorder(), r)
					}
					f.mu.Unlock()
					w.WriteHeader(status)
					return
				}
			}
			f.mu.Unlock()
		}
		if fail {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(503)
			_, _ = w.Write([]byte(`{"computeFault": {"message": "Service Unavailable", "code": 503}}`))
			return
		}
		if r.Header.Get("X-Auth-Token") == "" {
			w.WriteHeader(401)
			return
		}
		f.mu.Lock()
		defer f.mu.Unlock()
		mux.ServeHTTP(w, r)
	}))
	t.Cleanup(ts.Close)
	return f, ts
}

func (f *fakeCloud) id(kind string) string {
	f.n++
	return fmt.Sprintf("%s-%08x-0000-4000-8000-%012d", kind, f.n, f.n)
}

func reply(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func notFound(w http.ResponseWriter, what string) {
	reply(w, 404, map[string]any{"itemNotFound": map[string]any{"message": what + " could not be found.", "code": 404}})
}

func decode(t testing.TB, r *http.Request, v any) bool {
	if err := json.NewDecoder(r.Body).Decode(v); err != nil {
		t.Errorf("%s %s: bad body: %v", r.Method, r.URL, err)
		return false
	}
	return true
}

// project of a scoped request: the token is "token-<project id>".
func scopedProject(r *http.Request) string {
	return strings.TrimPrefix(r.Header.Get("X-Auth-Token"), "token-")
}

const nozFormat = "2006-01-02T15:04:05.000000"

func (p *fProject) json() map[string]any {
	tags := p.Tags
	if tags == nil {
		tags = []string{}
	}
	return map[string]any{"id": p.ID, "name": p.Name, "domain_id": p.Domain, "description": p.Description, "enabled": true,
		"is_domain": false, "parent_id": p.Domain, "tags": tags, "options": map[string]any{},
		"links": map[string]any{"self": "https://keystone.example/v3/projects/" + p.ID}}
}

func (f *fakeCloud) listProjects(w http.ResponseWriter, r *http.Request) {
	out := []map[string]any{}
	for _, p := range f.projects {
		if n := r.URL.Query().Get("name"); n != "" && n != p.Name {
			continue
		}
		if d := r.URL.Query().Get("domain_id"); d != "" && d != p.Domain {
			continue
		}
		out = append(out, p.json())
	}
	reply(w, 200, map[string]any{"links": map[string]any{"self": "https://keystone.example/v3/projects", "previous": nil, "next": nil}, "projects": out})
}

func (f *fakeCloud) createProject(w http.ResponseWriter, r *http.Request) {
	var raw struct {
		Project map[string]any `json:"project"`
	}
	if !decode(f.t, r, &raw) {
		return
	}
	name, _ := raw.Project["name"].(string)
	for _, p := range f.projects {
		if p.Name == name {
			reply(w, 409, map[string]any{"error": map[string]any{"code": 409, "message": "Conflict occurred attempting to store project", "title": "Conflict"}})
			return
		}
	}
	dom, _ := raw.Project["domain_id"].(string)
	desc, _ := raw.Project["description"].(string)
	p := &fProject{ID: f.id("proj"), Name: name, Domain: dom, Description: desc}
	f.projects[p.ID] = p
	reply(w, 201, map[string]any{"project": p.json()})
}

func (f *fakeCloud) updateProject(w http.ResponseWriter, r *http.Request) {
	p := f.projects[r.PathValue("id")]
	if p == nil {
		notFound(w, "Project")
		return
	}
	var raw struct {
		Project struct {
			Tags []string `json:"tags"`
		} `json:"project"`
	}
	if !decode(f.t, r, &raw) {
		return
	}
	p.Tags = raw.Project.Tags
	reply(w, 200, map[string]any{"project": p.json()})
}

func (f *fakeCloud) deleteProject(w http.ResponseWriter, r *http.Request) {
	if f.projects[r.PathValue("id")] == nil {
		notFound(w, "Project")
		return
	}
	delete(f.projects, r.PathValue("id"))
	w.WriteHeader(204)
}

func (f *fakeCloud) computeQuota(w http.ResponseWriter, r *http.Request) {
	p := f.projects[r.PathValue("id")]
	if p == nil {
		notFound(w, "Project")
		return
	}
	var raw struct {
		QuotaSet struct{ Cores, RAM, Instances int } `json:"quota_set"`
	}
	if !decode(f.t, r, &raw) {
		return
	}
	p.Cores, p.RAM, p.Instances = raw.QuotaSet.Cores, raw.QuotaSet.RAM, raw.QuotaSet.Instances
	reply(w, 200, map[string]any{"quota_set": map[string]any{"cores": p.Cores, "ram": p.RAM, "instances": p.Instances,
		"key_pairs": 100, "metadata_items": 128, "server_groups": 10, "server_group_members": 10}})
}

func (f *fakeCloud) volumeQuota(w http.ResponseWriter, r *http.Request) {
	p := f.projects[r.PathValue("id")]
	if p == nil {
		notFound(w, "Project")
		return
	}
	var raw struct {
		QuotaSet struct{ Gigabytes, Volumes int } `json:"quota_set"`
	}
	if !decode(f.t, r, &raw) {
		return
	}
	p.Gigabytes, p.Volumes = raw.QuotaSet.Gigabytes, raw.QuotaSet.Volumes
	reply(w, 200, map[string]any{"quota_set": map[string]any{"gigabytes": p.Gigabytes, "volumes": p.Volumes, "snapshots": 10, "backups": 10}})
}

func (f *fakeCloud) serverJSON(s *fServer) map[string]any {
	status := "BUILD"
	if !f.clock.Now().Before(s.Created.Add(30 * time.Minute)) {
		status = "ACTIVE"
	}
	return map[string]any{"id": s.ID, "name": s.Name, "status": status, "tenant_id": s.Project, "user_id": "u1",
		"created": s.Created.UTC().Format(time.RFC3339), "updated": s.Created.UTC().Format(time.RFC3339),
		"hostId": "", "flavor": map[string]any{"id": s.Flavor, "links": []any{}}, "image": map[string]any{"id": "img-1", "links": []any{}},
		"addresses": map[string]any{}, "metadata": map[string]any{}, "links": []any{}, "accessIPv4": "", "accessIPv6": "",
		"OS-EXT-STS:vm_state": strings.ToLower(status), "progress": 0}
}

func (f *fakeCloud) listServers(w http.ResponseWriter, r *http.Request) {
	out := []map[string]any{}
	pid := scopedProject(r)
	ids := make([]string, 0)
	for id, s := range f.servers {
		if s.Project == pid && s.Deleted.IsZero() {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	for _, id := range ids {
		out = append(out, f.serverJSON(f.servers[id]))
	}
	reply(w, 200, map[string]any{"servers": out})
}

func (f *fakeCloud) createServer(w http.ResponseWriter, r *http.Request) {
	var raw struct {
		Server struct {
			Name      string `json:"name"`
			FlavorRef string `json:"flavorRef"`
			ImageRef  string `json:"imageRef"`
		} `json:"server"`
	}
	if !decode(f.t, r, &raw) {
		return
	}
	pid := scopedProject(r)
	p := f.projects[pid]
	if p == nil {
		reply(w, 401, map[string]any{"error": map[string]any{"code": 401, "message": "unscoped"}})
		return
	}
	n := 0
	for _, s := range f.servers {
		if s.Project == pid && s.Deleted.IsZero() {
			n++
		}
	}
	if n+1 > p.Instances {
		reply(w, 403, map[string]any{"forbidden": map[string]any{"code": 403,
			"message": fmt.Sprintf("Quota exceeded for instances: Requested 1, but already used %d of %d instances", n, p.Instances)}})
		return
	}
	if raw.Server.FlavorRef == "" || raw.Server.ImageRef == "" {
		reply(w, 400, map[string]any{"badRequest": map[string]any{"code": 400, "message": "flavorRef and imageRef are required"}})
		return
	}
	s := &fServer{ID: f.id("srv"), Name: raw.Server.Name, Project: pid, Flavor: raw.Server.FlavorRef, Created: f.clock.Now()}
	f.servers[s.ID] = s
	reply(w, 202, map[string]any{"server": map[string]any{"id": s.ID, "links": []any{}, "OS-DCF:diskConfig": "MANUAL",
		"adminPass": "secret", "security_groups": []any{map[string]any{"name": "default"}}}})
}

func (f *fakeCloud) deleteServer(w http.ResponseWriter, r *http.Request) {
	s := f.servers[r.PathValue("id")]
	if s == nil || !s.Deleted.IsZero() || s.Project != scopedProject(r) {
		notFound(w, "Instance")
		return
	}
	s.Deleted = f.clock.Now()
	w.WriteHeader(204)
}

func (f *fakeCloud) usage(w http.ResponseWriter, r *http.Request) {
	pid := r.PathValue("id")
	start, err1 := time.Parse(gophercloud.RFC3339MilliNoZ, r.URL.Query().Get("start"))
	end, err2 := time.Parse(gophercloud.RFC3339MilliNoZ, r.URL.Query().Get("end"))
	if err1 != nil || err2 != nil {
		reply(w, 400, map[string]any{"badRequest": map[string]any{"code": 400, "message": "Invalid start/end"}})
		return
	}
	usages := []map[string]any{}
	var total float64
	ids := make([]string, 0)
	for id := range f.servers {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		s := f.servers[id]
		if s.Project != pid {
			continue
		}
		from, to := s.Created, end
		if !s.Deleted.IsZero() && s.Deleted.Before(to) {
			to = s.Deleted
		}
		if from.Before(start) {
			from = start
		}
		if !from.Before(to) {
			continue
		}
		h := to.Sub(from).Hours()
		total += h
		ended := any(nil)
		if !s.Deleted.IsZero() {
			ended = s.Deleted.UTC().Format(nozFormat)
		}
		usages = append(usages, map[string]any{"ended_at": ended, "flavor": s.Flavor, "hours": h, "instance_id": s.ID,
			"local_gb": 1, "memory_mb": 1024, "name": s.Name, "started_at": s.Created.UTC().Format(nozFormat),
			"state": "active", "tenant_id": pid, "uptime": int(to.Sub(from).Seconds()), "vcpus": 1})
	}
	reply(w, 200, map[string]any{"tenant_usage": map[string]any{"server_usages": usages, "start": start.Format(nozFormat),
		"stop": end.Format(nozFormat), "tenant_id": pid, "total_hours": total, "total_local_gb_usage": total,
		"total_memory_mb_usage": total * 1024, "total_vcpus_usage": total}})
}

func (f *fakeCloud) volumeJSON(v *fVolume) map[string]any {
	status := "available"
	if f.clock.Now().Before(v.Ready) {
		status = "creating"
	}
	return map[string]any{"id": v.ID, "name": v.Name, "size": v.Size, "status": status, "created_at": v.Created.UTC().Format(nozFormat),
		"updated_at": v.Created.UTC().Format(nozFormat), "volume_type": "__DEFAULT__", "availability_zone": "nova", "bootable": "false",
		"encrypted": false, "multiattach": false, "metadata": map[string]any{}, "attachments": []any{},
		"os-vol-tenant-attr:tenant_id": v.Project, "links": []any{}}
}

func (f *fakeCloud) listVolumes(w http.ResponseWriter, r *http.Request) {
	out := []map[string]any{}
	pid := scopedProject(r)
	ids := make([]string, 0)
	for id, v := range f.volumes {
		if v.Project == pid && !v.Deleted {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	for _, id := range ids {
		out = append(out, f.volumeJSON(f.volumes[id]))
	}
	reply(w, 200, map[string]any{"volumes": out})
}

func (f *fakeCloud) createVolume(w http.ResponseWriter, r *http.Request) {
	var raw struct {
		Volume struct {
			Name string `json:"name"`
			Size int    `json:"size"`
		} `json:"volume"`
	}
	if !decode(f.t, r, &raw) {
		return
	}
	pid := scopedProject(r)
	p := f.projects[pid]
	used, count := 0, 0
	for _, v := range f.volumes {
		if v.Project == pid && !v.Deleted {
			used += v.Size
			count++
		}
	}
	if p == nil || used+raw.Volume.Size > p.Gigabytes || count+1 > p.Volumes {
		reply(w, 413, map[string]any{"overLimit": map[string]any{"code": 413, "message": "VolumeSizeExceedsAvailableQuota: Requested volume or snapshot exceeds allowed gigabytes quota."}})
		return
	}
	now := f.clock.Now()
	v := &fVolume{ID: f.id("vol"), Name: raw.Volume.Name, Project: pid, Size: raw.Volume.Size, Created: now, Ready: now.Add(5 * time.Minute)}
	f.volumes[v.ID] = v
	reply(w, 202, map[string]any{"volume": f.volumeJSON(v)})
}

func (f *fakeCloud) volumeAction(w http.ResponseWriter, r *http.Request) {
	v := f.volumes[r.PathValue("id")]
	if v == nil || v.Deleted {
		notFound(w, "Volume")
		return
	}
	var raw struct {
		Extend *struct {
			NewSize int `json:"new_size"`
		} `json:"os-extend"`
	}
	if !decode(f.t, r, &raw) || raw.Extend == nil {
		reply(w, 400, map[string]any{"badRequest": map[string]any{"code": 400, "message": "unsupported action"}})
		return
	}
	v.Size, v.Ready = raw.Extend.NewSize, f.clock.Now().Add(5*time.Minute)
	w.WriteHeader(202)
}

func (f *fakeCloud) deleteVolume(w http.ResponseWriter, r *http.Request) {
	v := f.volumes[r.PathValue("id")]
	if v == nil || v.Deleted {
		notFound(w, "Volume")
		return
	}
	v.Deleted = true
	w.WriteHeader(202)
}

func (f *fakeCloud) networkQuota(w http.ResponseWriter, r *http.Request) {
	p := f.projects[r.PathValue("id")]
	if p == nil {
		notFound(w, "Project")
		return
	}
	var raw struct {
		Quota struct {
			Network int `json:"network"`
		} `json:"quota"`
	}
	if !decode(f.t, r, &raw) {
		return
	}
	p.Networks = raw.Quota.Network
	reply(w, 200, map[string]any{"quota": map[string]any{"network": p.Networks, "subnet": 100, "port": 500, "router": 10,
		"floatingip": 50, "security_group": 10, "security_group_rule": 100}})
}

func netJSON(n *fNetwork) map[string]any {
	return map[string]any{"id": n.ID, "name": n.Name, "status": "ACTIVE", "project_id": n.Project, "tenant_id": n.Project,
		"admin_state_up": true, "shared": false, "subnets": []any{}, "mtu": 1450, "router:external": false}
}

func (f *fakeCloud) listNetworks(w http.ResponseWriter, r *http.Request) {
	out := []map[string]any{}
	ids := make([]string, 0)
	for id, n := range f.networks {
		if q := r.URL.Query().Get("project_id"); q == "" || q == n.Project {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	for _, id := range ids {
		out = append(out, netJSON(f.networks[id]))
	}
	reply(w, 200, map[string]any{"networks": out})
}

func (f *fakeCloud) createNetwork(w http.ResponseWriter, r *http.Request) {
	var raw struct {
		Network struct {
			Name      string `json:"name"`
			ProjectID string `json:"project_id"`
		} `json:"network"`
	}
	if !decode(f.t, r, &raw) {
		return
	}
	count := 0
	for _, n := range f.networks {
		if n.Project == raw.Network.ProjectID {
			count++
		}
	}
	if p := f.projects[raw.Network.ProjectID]; p == nil || count+1 > p.Networks {
		reply(w, 409, map[string]any{"NeutronError": map[string]any{"type": "OverQuota", "message": "Quota exceeded for resources: ['network'].", "detail": ""}})
		return
	}
	n := &fNetwork{ID: f.id("net"), Name: raw.Network.Name, Project: raw.Network.ProjectID}
	f.networks[n.ID] = n
	reply(w, 201, map[string]any{"network": netJSON(n)})
}

func (f *fakeCloud) deleteNetwork(w http.ResponseWriter, r *http.Request) {
	if f.networks[r.PathValue("id")] == nil {
		reply(w, 404, map[string]any{"NeutronError": map[string]any{"type": "NetworkNotFound", "message": "Network could not be found.", "detail": ""}})
		return
	}
	delete(f.networks, r.PathValue("id"))
	w.WriteHeader(204)
}

// resources is what the cloud runs for an application, read behind the
// adapter's back.
func (f *fakeCloud) resources(app string) []govcloud.Resource {
	f.mu.Lock()
	defer f.mu.Unlock()
	var pid string
	for _, p := range f.projects {
		if p.Name == openstack.ProjectName(app) {
			pid = p.ID
		}
	}
	if pid == "" {
		return nil
	}
	code := func(name string) string {
		s := strings.TrimPrefix(name, "gc-")
		if i := strings.LastIndexByte(s, '-'); i > 0 && strings.Trim(s[i+1:], "0123456789") == "" {
			return s[:i]
		}
		return s
	}
	var rs []govcloud.Resource
	for _, s := range f.servers {
		if s.Project == pid && s.Deleted.IsZero() {
			rs = append(rs, govcloud.Resource{ID: s.ID, Item: code(s.Name), Quantity: 1})
		}
	}
	for _, v := range f.volumes {
		if v.Project == pid && !v.Deleted {
			rs = append(rs, govcloud.Resource{ID: v.ID, Item: code(v.Name), Quantity: int64(v.Size)})
		}
	}
	for _, n := range f.networks {
		if n.Project == pid {
			rs = append(rs, govcloud.Resource{ID: n.ID, Item: code(n.Name), Quantity: 1})
		}
	}
	return rs
}

// client returns a service client on the fake with a token.
func client(ts *httptest.Server, path, token string) *gophercloud.ServiceClient {
	pc := &gophercloud.ProviderClient{HTTPClient: *ts.Client()}
	pc.SetToken(token)
	return &gophercloud.ServiceClient{ProviderClient: pc, Endpoint: ts.URL + path}
}
